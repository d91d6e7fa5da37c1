import BerthProtocol

/// One node's side of a planned exchange, as a state machine fed the node's answers: the opening of
/// `Handshake` (hello; on TCP with a secret the challenge goes right behind it, then the proof),
/// then the planned calls one after another, each sent when the previous one is answered (so the
/// node does them in command-line order). A first call that reveals nothing
/// (`Handshake.mayPrecedeProof`) rides with the proof.
///
/// An `ongoing` conversation has no plan: its driver (`NodeClient`) `ask`s calls as they come, they
/// are sent at once (many in flight, answered in any order) once the opening is done, and it never
/// finishes on its own; the driver takes the answers and the node's notifications as they arrive.
///
/// It does no I/O and reads no clock: `NodePeer` and `NodeClient` move its bytes and pass the time
/// in, and tests feed it answers directly. It is the one place the client speaks the protocol.
struct Conversation {
    /// What to do after the conversation took a step.
    enum Step {
        /// Send these bytes (whole lines), then wait for more answers.
        case send([UInt8])
        /// Nothing to send; wait for more answers.
        case wait
        /// The conversation is over; the connection can be closed.
        case finished(Result<[CallAnswer], any Error>)
    }

    /// What an id in flight was sent for.
    private enum Purpose {
        case hello
        case challenge
        case proof(AuthChallenge, AuthResponseParams, ChannelOpening?)
        case call(index: Int, sentAt: ContinuousClock.Instant)

        var method: MethodName? {
            switch self {
            case .hello: .nodeHello
            case .challenge: .authChallenge
            case .proof: .authResponse
            case .call: nil
            }
        }
    }

    let address: NodeAddress
    let options: ConnectOptions
    private(set) var calls: [PlannedCall]
    let ongoing: Bool
    private var answers: [CallAnswer] = []
    /// An ongoing conversation's answers (by call number) and notifications not taken yet.
    private var arrived: [(number: Int, response: RPCResponse)] = []
    private var notices: [RPCRequest] = []
    /// What `node.hello` answered, when the opening asked.
    private(set) var hello: HelloResult?
    /// The ids awaiting an answer, oldest first (ids only grow). Two at a time at most in a planned
    /// conversation (hello and challenge, or the proof and the first call), so a list: a dictionary
    /// cost an allocation and hashing per request, and finding the oldest walked it on every turn of
    /// the poll loop.
    private var inFlight: [(id: Int64, purpose: Purpose)] = []
    private var nextID: Int64 = 1
    private var needsHello: Bool
    private var authenticating = false
    private var authenticated = false
    private var nextCall = 0
    private var handshakeDeadline: ContinuousClock.Instant?
    private var finished = false
    /// Why the conversation ended, when it failed.
    private(set) var failure: (any Error)?
    /// `auth.response` has been sent (nothing of the opening is left to send).
    private var proofSent = false
    /// Seals every byte sent after `auth.response` once the channel is being opened (TCP,
    /// docs/protocol.md "The secure channel"); handed on to the next conversation on a kept connection.
    private(set) var sealer: RecordSealer?
    /// The opener for the node's records, once its proof checked out: the driver's `ChannelReader`
    /// takes it (`takeOpener`) right after the line that carried the proof.
    private var pendingOpener: RecordOpener?

    /// `opened`: the connection's opening (hello, authentication) was done by an earlier
    /// conversation on it (`berth agent`'s kept connections), so the calls go first, sealed with
    /// that conversation's `sealer` when it opened the channel.
    init(address: NodeAddress, options: ConnectOptions, calls: [PlannedCall], opened: Bool = false, ongoing: Bool = false,
         sealer: RecordSealer? = nil) {
        self.address = address
        self.options = options
        self.calls = calls
        self.ongoing = ongoing
        needsHello = opened ? false : Handshake.opensWithHello(address, options)
        authenticated = opened
        self.sealer = sealer
    }

    /// The opener for the node's records, once: the bytes after the line just received are records.
    mutating func takeOpener() -> RecordOpener? {
        defer { pendingOpener = nil }
        return pendingOpener
    }

    /// The first bytes to send once connected (or `.finished` when there is nothing to ask).
    mutating func start(now: ContinuousClock.Instant) -> Step {
        handshakeDeadline = now + options.connectTimeout
        var out: [UInt8] = []
        if needsHello {
            request(.hello, MethodName.nodeHello.rawValue, Handshake.helloParams(options), into: &out)
            if Handshake.alwaysAuthenticates(address, options) {
                authenticating = true
                request(.challenge, MethodName.authChallenge.rawValue, nil, into: &out)
            }
            return .send(out)
        }
        return advance(now: now)
    }

    /// When the answer being waited for is late; nil when nothing is awaited (the connection
    /// opening, or the conversation over). Asked for every connection on every turn of a poll
    /// loop, so it builds no message: `lateError` does, once the moment has come.
    func deadline() -> ContinuousClock.Instant? {
        guard !finished, let purpose = inFlight.first?.purpose else { return nil }
        switch purpose {
        case .call(_, let sentAt):
            guard let limit = options.callTimeout else { return nil }
            return sentAt + limit
        default:
            return handshakeDeadline
        }
    }

    /// What to report when `deadline()` has passed.
    func lateError() -> ClientError {
        switch inFlight.first?.purpose {
        case .call(let index, _)?:
            return .noAnswer(address, to: calls[index].method, within: options.callTimeout ?? .zero)
        case let purpose?:
            return .noAnswer(address, to: purpose.method?.rawValue ?? "?", within: options.connectTimeout)
        case nil:
            return .noAnswer(address, within: options.connectTimeout)
        }
    }

    /// Takes one line from the node, read by a `PollLoop` (no copy).
    mutating func receive(_ line: UnsafeBufferPointer<UInt8>, now: ContinuousClock.Instant) -> Step {
        guard !finished else { return .wait }
        return receive(Result { () throws(RPCError) in try RPCFrame.decodeFromNode(line) }, now: now)
    }

    /// Takes one line from the node, read by an async `Connection`.
    mutating func receive(_ line: [UInt8], now: ContinuousClock.Instant) -> Step {
        guard !finished else { return .wait }
        return receive(Result { () throws(RPCError) in try RPCFrame.decodeFromNode(line) }, now: now)
    }

    private mutating func receive(_ line: Result<RPCFromNode, RPCError>, now: ContinuousClock.Instant) -> Step {
        let decoded: RPCFromNode
        switch line {
        case .success(let value): decoded = value
        case .failure(let error): return finish(.failure(ClientError.invalidLine(address, error)))
        }
        switch decoded {
        case .response(let response):
            return receive(response, now: now)
        case .batch(let responses):
            // We never send batches, but a batch of answers is still answers.
            var out: [UInt8] = []
            for response in responses {
                switch receive(response, now: now) {
                case .send(let bytes): out += bytes
                case .wait: break
                case .finished(let result): return .finished(result)
                }
            }
            return out.isEmpty ? .wait : .send(out)
        case .notification(let notification):
            if ongoing { notices.append(notification) }  // a planned conversation subscribes to nothing
            return .wait
        }
    }

    /// Takes one answer from the node.
    mutating func receive(_ response: RPCResponse, now: ContinuousClock.Instant) -> Step {
        guard !finished else { return .wait }
        guard case .int(let id) = response.id, let slot = inFlight.firstIndex(where: { $0.id == id }) else {
            if let error = response.error, response.id == .null {
                return finish(.failure(ClientError.untied(address, error)))
            }
            return .wait  // not an id of ours: ignored, as NodeClient does
        }
        let purpose = inFlight.remove(at: slot).purpose
        do {
            switch purpose {
            case .hello:
                let hello: HelloResult = try Self.decode(response, as: HelloResult.self)
                self.hello = hello
                needsHello = false
                if !authenticating, try Handshake.authenticates(address, options, hello: hello) {
                    authenticating = true
                    var out: [UInt8] = []
                    request(.challenge, MethodName.authChallenge.rawValue, nil, into: &out)
                    return .send(out)
                }
            case .challenge:
                let challenge: AuthChallenge = try Self.decode(response, as: AuthChallenge.self)
                guard let secret = options.secret else { throw Handshake.missingSecret(address) }
                let proof: AuthResponseParams
                var opening: ChannelOpening?
                if Handshake.usesChannel(address, options) {
                    do { opening = try ChannelHandshake.response(to: challenge, secret: secret, clientNonce: Handshake.clientNonce()) } catch {
                        throw Handshake.noChannel(address, error)
                    }
                    proof = opening!.params
                } else {
                    proof = try AuthProof.response(to: challenge, secret: secret, clientNonce: Handshake.clientNonce())
                }
                var out: [UInt8] = []
                request(.proof(challenge, proof, opening), MethodName.authResponse.rawValue, try JSONValueEncoder().encode(proof), into: &out)
                proofSent = true
                // Everything after the auth.response line is sealed: the node reads records from there.
                if let opening { sealer = RecordSealer(key: opening.keys.clientToNode) }
                // A call that reveals nothing goes right behind the proof: the node answers
                // auth.response before it reads the next line, so the call runs authenticated, and
                // its answer counts only once the node's own proof checked out (one round trip less).
                if nextCall == 0, let first = calls.first, Handshake.mayPrecedeProof(first.method) {
                    var call: [UInt8] = []
                    request(.call(index: 0, sentAt: now), first.method, first.params, into: &call)
                    nextCall = 1
                    try seal(call, into: &out)
                }
                return .send(out)
            case .proof(let challenge, let sent, let opening):
                let result: AuthResponseResult
                do { result = try Self.decode(response, as: AuthResponseResult.self) } catch let error as RPCError {
                    throw Handshake.refused(address, error)
                }
                if let opening {
                    guard opening.verify(result) else { throw Handshake.unproven(address) }
                    pendingOpener = RecordOpener(key: opening.keys.nodeToClient)
                } else {
                    guard let secret = options.secret, AuthProof.verifyNode(result, challenge: challenge, sent: sent, secret: secret) else {
                        throw Handshake.unproven(address)
                    }
                }
                authenticated = true
            case .call(let index, let sentAt):
                if ongoing {
                    arrived.append((index, response))
                } else {
                    answers.append(CallAnswer(call: calls[index], response: response, roundTrip: sentAt.duration(to: now)))
                }
            }
        } catch {
            return finish(.failure(error))
        }
        return advance(now: now)
    }

    /// True once every line of the conversation has been handed out: the opening is done (or in
    /// flight with nothing left to follow it) and the last planned call is sent. The connection's
    /// writing side can then be shut, so the node reads the end of input with the request instead
    /// of waking again for it later.
    var sentEverything: Bool {
        nextCall == calls.count && !needsHello && (!authenticating || proofSent)
    }

    /// Fails the conversation from outside (the connection broke, or a deadline passed); nothing
    /// more happens to one that is over.
    mutating func fail(_ error: any Error) -> Step { finished ? .wait : finish(.failure(error)) }

    /// The opening (hello, authentication) is done: calls go out as soon as they are asked.
    var isOpen: Bool { !finished && !needsHello && (!authenticating || authenticated) }

    // MARK: ongoing

    /// Adds a call to an ongoing conversation; it is sent at once when the opening is done, or
    /// right after it. Returns the call's number, which `takeAnswers` pairs with its answer.
    mutating func ask(_ call: PlannedCall, now: ContinuousClock.Instant) -> (number: Int, step: Step) {
        precondition(ongoing, "only an ongoing conversation takes calls as it goes")
        calls.append(call)
        return (calls.count - 1, advance(now: now))
    }

    /// Stops waiting for call `number` (its driver gave up on it): an answer that still comes is dropped.
    mutating func forget(_ number: Int) {
        inFlight.removeAll { if case .call(number, _) = $0.purpose { true } else { false } }
    }

    /// The answers that arrived since the last take, by call number.
    mutating func takeAnswers() -> [(number: Int, response: RPCResponse)] {
        defer { arrived = [] }
        return arrived
    }

    /// The notifications that arrived since the last take, in order.
    mutating func takeNotifications() -> [RPCRequest] {
        defer { notices = [] }
        return notices
    }

    /// The result of `response`, or its error. Untyped throws on purpose: `decodeResult`'s
    /// `throws(RPCError)` inlined into async callers crashed the optimizer's coroutine splitting
    /// (swift-frontend signal 11 in `swift build -c release`, Swift 6.x).
    @inline(never)
    static func decode<R: Decodable>(_ response: RPCResponse, as type: R.Type) throws -> R {
        let value: JSONValue
        switch response.outcome {
        case .error(let error): throw error
        case .result(let result): value = result
        case .encodedResult(let encoded):
            do { value = try encoded.parsed() } catch {
                throw RPCError(.internal, "unexpected result: \(error)")
            }
        }
        do { return try JSONValueDecoder().decode(R.self, from: value) } catch {
            throw RPCError(.internal, "unexpected result: \(DecodingPath.describe(error))")
        }
    }

    /// Sends the next planned call once the opening is done and nothing is in flight; in an
    /// ongoing conversation, every call not sent yet.
    private mutating func advance(now: ContinuousClock.Instant) -> Step {
        guard !needsHello, !authenticating || authenticated else { return .wait }
        if ongoing {
            var out: [UInt8] = []
            while nextCall < calls.count {
                request(.call(index: nextCall, sentAt: now), calls[nextCall].method, calls[nextCall].params, into: &out)
                nextCall += 1
            }
            return out.isEmpty ? .wait : sending(out)
        }
        guard inFlight.isEmpty else { return .wait }
        guard nextCall < calls.count else { return finish(.success(answers)) }
        let call = calls[nextCall]
        var out: [UInt8] = []
        request(.call(index: nextCall, sentAt: now), call.method, call.params, into: &out)
        nextCall += 1
        return sending(out)
    }

    /// Appends `lines` to `out`, sealed when the channel is open.
    private mutating func seal(_ lines: [UInt8], into out: inout [UInt8]) throws(ChannelError) {
        if sealer == nil { out += lines } else { try sealer!.seal(lines, into: &out) }
    }

    /// The step that sends `lines` (sealed when the channel is open).
    private mutating func sending(_ lines: [UInt8]) -> Step {
        var out: [UInt8] = []
        do { try seal(lines, into: &out) } catch { return finish(.failure(ClientError(.closed, "\(address): \(error)"))) }
        return .send(out)
    }

    private mutating func request(_ purpose: Purpose, _ method: String, _ params: JSONValue?, into out: inout [UInt8]) {
        let id = nextID
        nextID += 1
        inFlight.append((id, purpose))
        RPCFrame.encode(RPCRequest(id: .int(id), method: method, params: params), into: &out)
    }

    private mutating func finish(_ result: Result<[CallAnswer], any Error>) -> Step {
        finished = true
        inFlight = []
        if case .failure(let error) = result { failure = error }
        return .finished(result)
    }
}
