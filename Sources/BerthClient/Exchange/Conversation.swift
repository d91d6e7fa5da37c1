import BerthProtocol

/// One node's side of a planned exchange, as a state machine fed the node's answers: the opening of
/// `Handshake` (hello; on TCP with a secret the challenge goes right behind it, then the proof),
/// then the planned calls one after another, each sent when the previous one is answered (so the
/// node does them in command-line order, as `NodeClient` callers do). A first call that reveals
/// nothing (`Handshake.mayPrecedeProof`) rides with the proof.
///
/// It does no I/O and reads no clock: `Exchanger` moves its bytes and passes the time in, and tests
/// feed it answers directly.
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
        case proof(AuthChallenge, AuthResponseParams)
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
    let calls: [PlannedCall]
    private var answers: [CallAnswer] = []
    /// The ids awaiting an answer, oldest first (ids only grow). Two at a time at most (hello and
    /// challenge, or the proof and the first call), so a list: a dictionary cost an allocation and
    /// hashing per request, and finding the oldest walked it on every turn of the poll loop.
    private var inFlight: [(id: Int64, purpose: Purpose)] = []
    private var nextID: Int64 = 1
    private var needsHello: Bool
    private var authenticating = false
    private var authenticated = false
    private var nextCall = 0
    private var handshakeDeadline: ContinuousClock.Instant?
    private var finished = false
    /// `auth.response` has been sent (nothing of the opening is left to send).
    private var proofSent = false

    /// `opened`: the connection's opening (hello, authentication) was done by an earlier
    /// conversation on it (`berth agent`'s kept connections), so the calls go first.
    init(address: NodeAddress, options: ConnectOptions, calls: [PlannedCall], opened: Bool = false) {
        self.address = address
        self.options = options
        self.calls = calls
        needsHello = opened ? false : Handshake.opensWithHello(address, options)
        authenticated = opened
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

    /// Takes one line from the node.
    mutating func receive(_ line: UnsafeBufferPointer<UInt8>, now: ContinuousClock.Instant) -> Step {
        guard !finished else { return .wait }
        let decoded: RPCFromNode
        do { decoded = try RPCFrame.decodeFromNode(line) } catch {
            return finish(.failure(ClientError.invalidLine(address, error)))
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
        case .notification:
            return .wait  // nothing here subscribes; a notification is not an answer
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
                let hello: HelloResult = try NodeClient.decode(response, as: HelloResult.self)
                needsHello = false
                if !authenticating, try Handshake.authenticates(address, options, hello: hello) {
                    authenticating = true
                    var out: [UInt8] = []
                    request(.challenge, MethodName.authChallenge.rawValue, nil, into: &out)
                    return .send(out)
                }
            case .challenge:
                let challenge: AuthChallenge = try NodeClient.decode(response, as: AuthChallenge.self)
                guard let secret = options.secret else { throw Handshake.missingSecret(address) }
                let proof = try AuthProof.response(to: challenge, secret: secret, clientNonce: Handshake.clientNonce())
                var out: [UInt8] = []
                request(.proof(challenge, proof), MethodName.authResponse.rawValue, try JSONValueEncoder().encode(proof), into: &out)
                proofSent = true
                // A call that reveals nothing goes right behind the proof: the node answers
                // auth.response before it reads the next line, so the call runs authenticated, and
                // its answer counts only once the node's own proof checked out (one round trip less).
                if nextCall == 0, let first = calls.first, Handshake.mayPrecedeProof(first.method) {
                    request(.call(index: 0, sentAt: now), first.method, first.params, into: &out)
                    nextCall = 1
                }
                return .send(out)
            case .proof(let challenge, let sent):
                let result: AuthResponseResult
                do { result = try NodeClient.decode(response, as: AuthResponseResult.self) } catch let error as RPCError {
                    throw Handshake.refused(address, error)
                }
                guard let secret = options.secret, AuthProof.verifyNode(result, challenge: challenge, sent: sent, secret: secret) else {
                    throw Handshake.unproven(address)
                }
                authenticated = true
            case .call(let index, let sentAt):
                answers.append(CallAnswer(call: calls[index], response: response, roundTrip: sentAt.duration(to: now)))
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

    /// Fails the conversation from outside (the connection broke, or a deadline passed).
    mutating func fail(_ error: any Error) -> Step { finish(.failure(error)) }

    /// Sends the next planned call once the opening is done and nothing is in flight.
    private mutating func advance(now: ContinuousClock.Instant) -> Step {
        guard inFlight.isEmpty, !needsHello, !authenticating || authenticated else { return .wait }
        guard nextCall < calls.count else { return finish(.success(answers)) }
        let call = calls[nextCall]
        var out: [UInt8] = []
        request(.call(index: nextCall, sentAt: now), call.method, call.params, into: &out)
        nextCall += 1
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
        return .finished(result)
    }
}
