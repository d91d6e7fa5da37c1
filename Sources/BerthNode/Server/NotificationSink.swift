import BerthProtocol
import BerthSystem

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
