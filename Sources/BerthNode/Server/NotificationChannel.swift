import BerthProtocol
import BerthSystem
import Synchronization

/// Writes notifications to one client connection, after the responses already queued on it.
///
/// A handler gets one through `RequestContext.notifications` and keeps it for as long as it streams
/// (events). `send` waits until the bytes reached the kernel, like responses do.
public struct NotificationSink: Sendable {
    let writer: ResponseWriter
    let connection: Connection
    let lifetime: ConnectionLifetime
    /// The server's number for the connection (log lines name it).
    public let connectionID: Int

    /// Sends one `method` notification; false once the connection has failed.
    @discardableResult
    public func send(_ method: String, params: JSONValue) async -> Bool {
        await writer.send(RPCFrame.encode(RPCRequest(id: nil, method: method, params: params)))
        return await !writer.failed
    }

    /// Closes the connection now: waiting writes fail, the reader ends.
    public func closeConnection() { connection.close() }

    /// Runs `action` once when the client's side ends (EOF, error, or the server closing it); at once
    /// if it already has. This is how a stream learns that nobody will read it any more.
    public func onConnectionEnd(_ action: @escaping @Sendable () -> Void) { lifetime.onEnd(action) }
}

/// Lets a handler keep going on its connection once its reply is written: `afterReply` hands the
/// server a body that runs right after the response, in the request's own task, with a sink for
/// notifications. Batched and in-process requests have no channel.
public final class NotificationChannel: Sendable {
    public let sink: NotificationSink
    private let followUp = Mutex<(@Sendable (NotificationSink) async -> Void)?>(nil)

    init(sink: NotificationSink) { self.sink = sink }

    /// Runs `body` after this request's response has been written (at most one body per request).
    public func afterReply(_ body: @escaping @Sendable (NotificationSink) async -> Void) {
        followUp.withLock { $0 = body }
    }

    func takeFollowUp() -> (@Sendable (NotificationSink) async -> Void)? {
        followUp.withLock { body in defer { body = nil }; return body }
    }
}

/// The end of a connection's input, with the actions waiting for it.
final class ConnectionLifetime: Sendable {
    private let state = Mutex<(ended: Bool, actions: [@Sendable () -> Void])>((false, []))

    func onEnd(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.ended { return true }
            s.actions.append(action)
            return false
        }
        if now { action() }
    }

    func end() {
        let actions = state.withLock { s -> [@Sendable () -> Void] in
            s.ended = true
            defer { s.actions = [] }
            return s.actions
        }
        for action in actions { action() }
    }
}
