import BerthProtocol
import BerthSystem

/// One connection to one node for callers that ask as they go (ssh nodes, `events`, `link`, `deploy`):
/// an async driver of an ongoing `Conversation`, which does the protocol. Calls are pipelined, each
/// with its own timeout. A session (`withConnection`, NodeClient+Session.swift) owns the reader and
/// writer tasks and closes the connection when its body returns, so nothing outlives the call site.
public actor NodeClient {
    public nonisolated let address: NodeAddress
    /// What `node.hello` answered, when the handshake ran.
    public var hello: HelloResult? { conversation.hello }
    /// The node's notifications on this connection (`events.event`), in order; the stream ends with
    /// the connection. Unbounded: a caller that subscribes must consume it.
    public nonisolated let notifications: AsyncStream<RPCRequest>
    private let notificationSink: AsyncStream<RPCRequest>.Continuation
    private let connection: Connection
    private let outgoing: (stream: AsyncStream<[UInt8]>, continuation: AsyncStream<[UInt8]>.Continuation)
    private var conversation: Conversation
    private let options: ConnectOptions
    /// Callers waiting, by call number (`opening`: the handshake), with their timers.
    private var waiters: [Int: (continuation: CheckedContinuation<RPCResponse?, any Error>, timer: Task<Void, Never>?)] = [:]
    private static let opening = -1

    init(address: NodeAddress, connection: Connection, options: ConnectOptions) {
        (self.address, self.connection, self.options) = (address, connection, options)
        conversation = Conversation(address: address, options: options, calls: [], ongoing: true)
        outgoing = AsyncStream.makeStream(of: [UInt8].self)
        (notifications, notificationSink) = AsyncStream.makeStream(of: RPCRequest.self)
    }

    /// Sends one request and waits for its response (result or error), for callers that want the raw JSON.
    public func send(_ method: String, params: JSONValue?, timeout: Duration? = nil) async throws -> RPCResponse {
        if let failure = conversation.failure { throw failure }
        let (number, step) = conversation.ask(PlannedCall(method: method, params: params), now: .now)
        let limit = timeout ?? options.callTimeout
        return try await wait(number, within: limit, step, late: .noAnswer(address, to: method, within: limit ?? .zero),
                              cancelled: ClientError(.closed, "the call \(method) was cancelled"))!  // only the opening has no answer
    }

    /// Runs the opening; an ssh session that ends before it is done failed to start.
    func open() async throws {
        do {
            _ = try await wait(Self.opening, within: options.connectTimeout, conversation.start(now: .now), late: nil,
                               cancelled: .closedByUs(address))
        } catch let error as ClientError where error.code == .closed {
            if case .ssh = address { throw ClientError.sshEnded(address) } else { throw error }
        }
    }

    /// Takes `step` and waits for `number`'s answer, or fails with `late` once `limit` passed (the
    /// conversation's own `lateError` when nil), or with `cancelled`, or with the connection's end.
    private func wait(_ number: Int, within limit: Duration?, _ step: Conversation.Step, late: ClientError?,
                      cancelled: ClientError) async throws -> RPCResponse? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let timer = limit.map { limit in Task { if (try? await Task.sleep(for: limit)) != nil { giveUp(number, late) } } }
                waiters[number] = (continuation, timer)
                if let failure = conversation.failure { resolve(number, .failure(failure)) } else { take(step) }
            }
        } onCancel: { Task { await self.giveUp(number, cancelled) } }
    }

    private func giveUp(_ number: Int, _ error: ClientError?) {
        conversation.forget(number)
        resolve(number, .failure(error ?? conversation.lateError()))
    }

    /// Hands `number`'s caller its answer (nil: the opening is done), stopping its timer.
    private func resolve(_ number: Int, _ result: Result<RPCResponse?, any Error>) {
        guard let waiter = waiters.removeValue(forKey: number) else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(with: result)
    }

    /// Hands the conversation's step to the writer, and its answers and notifications to their callers.
    private func take(_ step: Conversation.Step) {
        if case .send(let bytes) = step { outgoing.continuation.yield(bytes) }
        for (number, response) in conversation.takeAnswers() { resolve(number, .success(response)) }
        for notification in conversation.takeNotifications() { notificationSink.yield(notification) }
        guard case .finished = step, let failure = conversation.failure else {
            if conversation.isOpen { resolve(Self.opening, .success(nil)) }
            return
        }
        // The conversation is over: every caller still waiting gets its failure, as does every later call.
        for number in waiters.keys { resolve(number, .failure(failure)) }
        notificationSink.finish()
        outgoing.continuation.finish()
        connection.close()
    }

    func end(_ error: any Error) { take(conversation.fail(error)) }

    func readLoop() async {
        var reader = ChannelReader(limit: 64 << 20)
        do {
            while conversation.failure == nil {
                let bytes = try await connection.read()
                if bytes.isEmpty { return end(ClientError.closedByNode(address)) }
                try reader.feed(bytes) { line in
                    take(conversation.receive(Array(line), now: .now))
                    return conversation.takeOpener()
                }
            }
        } catch {
            end(error is CancellationError ? .closedByUs(address) : error as? ClientError ?? .connectionFailed(address, error))
        }
    }

    nonisolated func writeLoop() async {
        for await bytes in outgoing.stream {
            do { try await connection.write(bytes) } catch { return await end(ClientError.cannotSend(address, error)) }
        }
    }
}
