import BerthProtocol
import BerthSystem

/// One connection to one node: calls are pipelined (many in flight, answers matched by id by a
/// single reader), each with its own timeout.
///
/// Use it inside `NodeClient.withConnection(to:options:_:)`, which owns the reader and writer tasks
/// and closes the connection when the body returns, so nothing outlives the call site.
public actor NodeClient {
    /// The node this client talks to.
    public nonisolated let address: NodeAddress
    /// What `node.hello` answered, when the handshake ran.
    public private(set) var hello: HelloResult?

    let connection: Connection
    private let outgoing: AsyncStream<[UInt8]>.Continuation
    private let outgoingStream: AsyncStream<[UInt8]>
    /// Waiters by request id, and the failure that ended the connection. Behind a lock rather than
    /// actor isolation so a cancellation handler (synchronous) can fail its waiter on the spot.
    private nonisolated let waiters = Lock<Waiters>(Waiters())
    private nonisolated let notificationStream: AsyncStream<RPCRequest>
    private nonisolated let notificationSink: AsyncStream<RPCRequest>.Continuation
    /// The notifications the node sends on this connection (`events.event`), in order; the stream
    /// ends with the connection. Unbounded: a caller that subscribes must consume it.
    public nonisolated var notifications: AsyncStream<RPCRequest> { notificationStream }
    private var nextID: Int64 = 1
    private let defaultTimeout: Duration?

    init(address: NodeAddress, connection: Connection, defaultTimeout: Duration?) {
        self.address = address
        self.connection = connection
        self.defaultTimeout = defaultTimeout
        (outgoingStream, outgoing) = AsyncStream.makeStream(of: [UInt8].self)
        (notificationStream, notificationSink) = AsyncStream.makeStream(of: RPCRequest.self)
    }

    /// Connects, runs the handshake (`node.hello` when asked or on TCP, then auth when the node
    /// requires it), runs `body`, and closes. Connection failures are `ClientError(.unreachable)`.
    @discardableResult
    public static func withConnection<R: Sendable>(to address: NodeAddress, options: ConnectOptions = ConnectOptions(),
                                                   _ body: (NodeClient) async throws -> R) async throws -> R {
        let (connection, ssh) = try await NodeConnector.connect(to: address, timeout: options.connectTimeout, options: options)
        let client = NodeClient(address: address, connection: connection, defaultTimeout: options.callTimeout)
        let outcome: Result<R, any Error>
        do {
            outcome = .success(try await run(client, options: options, body))
        } catch {
            outcome = .failure(error)
        }
        // The session is over either way: stop and reap ssh before returning.
        await ssh?.finish()
        return try outcome.get()
    }

    private static func run<R: Sendable>(_ client: NodeClient, options: ConnectOptions,
                                         _ body: (NodeClient) async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: Void.self, returning: R.self) { group in
            group.addTask { await client.readLoop() }
            group.addTask { await client.writeLoop() }
            do {
                try await client.handshake(options)
                let result = try await body(client)
                await client.shutdown()
                group.cancelAll()
                return result
            } catch {
                await client.shutdown()
                group.cancelAll()
                throw error
            }
        }
    }

    /// Calls `method` with `params` (encoded as a JSON object) and decodes the result. The node's
    /// errors are thrown as `RPCError`; transport failures and timeouts as `ClientError`.
    public func call<P: Encodable & Sendable, R: Decodable>(_ method: String, params: P, as type: R.Type = R.self,
                                                          timeout: Duration? = nil) async throws -> R {
        let value: JSONValue
        do { value = try JSONValueEncoder().encode(params) } catch {
            throw ClientError(.protocolViolation, "cannot encode the params of \(method): \(error)")
        }
        return try NodeClient.decode(try await send(method, params: value, timeout: timeout), as: R.self)
    }

    /// Calls a method that takes no params.
    public func call<R: Decodable>(_ method: String, as type: R.Type = R.self, timeout: Duration? = nil) async throws -> R {
        try NodeClient.decode(try await send(method, params: nil, timeout: timeout), as: R.self)
    }

    /// The result of `response`, or its error. Untyped throws on purpose: `decodeResult`'s
    /// `throws(RPCError)` inlined into async callers crashed the optimizer's coroutine splitting
    /// (swift-frontend signal 11 in `swift build -c release`, Swift 6.x).
    @inline(never)
    nonisolated static func decode<R: Decodable>(_ response: RPCResponse, as type: R.Type) throws -> R {
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

    /// Sends one request and waits for its response (result or error), for callers that want the
    /// raw JSON. Throws `ClientError` when no response arrives.
    public func send(_ method: String, params: JSONValue?, timeout: Duration? = nil) async throws -> RPCResponse {
        if let failure = waiters.withLock({ $0.failure }) { throw failure }
        let id = nextID
        nextID += 1
        let line = RPCFrame.encode(RPCRequest(id: .int(id), method: method, params: params))
        let limit = timeout ?? defaultTimeout
        return try await withThrowingTaskGroup(of: RPCResponse?.self, returning: RPCResponse.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await self.enqueue(id: id, line: line)
                } onCancel: {
                    self.abandon(id, ClientError(.closed, "the call \(method) was cancelled"))
                }
            }
            if let limit {
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
            }
            while let next = try await group.next() {
                if let response = next {
                    group.cancelAll()
                    return response
                }
                // The timer fired first: fail the waiter, which then finishes its child task.
                abandon(id, .noAnswer(address, to: method, within: limit!))
            }
            throw ClientError(.closed, "\(address): the call \(method) ended without an answer")
        }
    }

    private func enqueue(id: Int64, line: [UInt8]) async throws -> RPCResponse {
        try await withCheckedThrowingContinuation { continuation in
            let failure = waiters.withLock { state -> ClientError? in
                if let failure = state.failure { return failure }
                state.pending[id] = continuation
                return nil
            }
            if let failure {
                continuation.resume(throwing: failure)
            } else {
                outgoing.yield(line)
            }
        }
    }

    private nonisolated func abandon(_ id: Int64, _ error: ClientError) {
        waiters.withLock { $0.pending.removeValue(forKey: id) }?.resume(throwing: error)
    }

    /// The opening of `Handshake`: hello when it applies, then authentication when it must.
    private func handshake(_ options: ConnectOptions) async throws {
        guard Handshake.opensWithHello(address, options) else { return }
        let hello: HelloResult
        do {
            hello = try await call(MethodName.nodeHello.rawValue, params: HelloParams(client: options.clientName),
                                   timeout: options.connectTimeout)
        } catch let error as ClientError where error.code == .closed {
            guard case .ssh = address else { throw error }
            // ssh's own failures (no route, refused key) end the stream before anything is answered.
            throw ClientError(.unreachable, "cannot reach \(address): the ssh session ended before the node answered (ssh's own message is above)")
        }
        self.hello = hello
        guard try Handshake.authenticates(address, options, hello: hello), let secret = options.secret else { return }
        try await authenticate(secret: secret, timeout: options.connectTimeout)
    }

    /// The challenge-response of docs/protocol.md, including the check of the node's proof.
    func authenticate(secret: AuthSecret, timeout: Duration) async throws {
        let challenge: AuthChallenge = try await call(MethodName.authChallenge.rawValue, timeout: timeout)
        let params = try AuthProof.response(to: challenge, secret: secret, clientNonce: Handshake.clientNonce())
        let result: AuthResponseResult
        do {
            result = try await call(MethodName.authResponse.rawValue, params: params, timeout: timeout)
        } catch let error as RPCError {
            throw Handshake.refused(address, error)
        }
        guard AuthProof.verifyNode(result, challenge: challenge, sent: params, secret: secret) else {
            throw Handshake.unproven(address)
        }
    }

    private func readLoop() async {
        var framer = LineFramer(limit: 64 << 20)
        var reason = ClientError.closedByNode(address)
        do {
            reading: while true {
                let bytes = try await connection.read()
                if bytes.isEmpty { break reading }
                for line in try framer.feed(bytes) { try deliver(line) }
            }
        } catch let error as ClientError {
            reason = error
        } catch is CancellationError {
            reason = ClientError(.closed, "the connection to \(address) was closed")
        } catch {
            reason = .connectionFailed(address, error)
        }
        fail(reason)
    }

    private func deliver(_ line: [UInt8]) throws {
        let decoded: RPCFromNode
        do { decoded = try RPCFrame.decodeFromNode(line) } catch {
            throw ClientError.invalidLine(address, error)
        }
        switch decoded {
        case .response(let response): resolve(response)
        case .batch(let responses): responses.forEach(resolve)
        case .notification(let notification): notificationSink.yield(notification)
        }
    }

    private func resolve(_ response: RPCResponse) {
        if case .int(let id) = response.id, let waiter = waiters.withLock({ $0.pending.removeValue(forKey: id) }) {
            waiter.resume(returning: response)
        } else if let error = response.error, response.id == .null {
            // An error the node could not tie to a request (line_too_long, parse_error) dooms them all.
            fail(.untied(address, error))
        }
    }

    private func fail(_ error: ClientError) {
        let doomed = waiters.withLock { state in
            if state.failure == nil { state.failure = error }
            defer { state.pending = [:] }
            return state.pending
        }
        for (_, waiter) in doomed { waiter.resume(throwing: error) }
        notificationSink.finish()
    }

    private nonisolated func writeLoop() async {
        for await line in outgoingStream {
            do { try await connection.write(line) } catch {
                await fail(.cannotSend(address, error))
                return
            }
        }
    }

    private func shutdown() {
        fail(ClientError(.closed, "the connection to \(address) was closed"))
        outgoing.finish()
        connection.close()
    }

    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}

/// What `NodeClient` keeps under its lock.
struct Waiters: ~Copyable {
    var pending: [Int64: CheckedContinuation<RPCResponse, any Error>] = [:]
    var failure: ClientError?
}
