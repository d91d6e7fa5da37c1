import BerthSystem

/// A D-Bus connection over a Unix socket: method calls matched to replies by serial, signals as
/// `AsyncStream`s, peer-to-peer (systemd's private socket) or to a bus daemon.
///
/// One task owned by the connection reads and dispatches incoming messages and writes outgoing ones,
/// in order; `close()` (or releasing the last reference) ends it, fails calls still waiting with
/// `Disconnected` and finishes every signal stream.
public final class DBusConnection: Sendable {
    let core: DBusConnectionCore
    /// The server's GUID from the authentication handshake.
    public let serverGUID: String
    /// This connection's unique name on a bus (from `Hello`); nil peer-to-peer.
    public let uniqueName: String?

    /// The default time a method call waits for its reply.
    public static let defaultCallTimeout: Duration = .seconds(25)

    init(core: DBusConnectionCore, serverGUID: String, uniqueName: String?) {
        self.core = core
        self.serverGUID = serverGUID
        self.uniqueName = uniqueName
    }

    deinit { core.close(DBusError.disconnected("connection released")) }

    /// Connects to the Unix socket at `path`, authenticates with EXTERNAL as this process's uid and,
    /// when `bus` is true, says `Hello` to the bus daemon. systemd's private socket
    /// (`$XDG_RUNTIME_DIR/systemd/private`, `/run/systemd/private`) is peer-to-peer: `bus: false`.
    public static func connect(path: String, bus: Bool = false, timeout: Duration = .seconds(5)) async throws -> DBusConnection {
        try await connect(path: path, bus: bus, timeout: timeout, trace: nil)
    }

    /// As `connect(path:bus:timeout:)`, also handing every incoming message's raw bytes to `trace`
    /// (tests record fixtures with it).
    static func connect(path: String, bus: Bool, timeout: Duration,
                        trace: (@Sendable ([UInt8]) -> Void)?) async throws -> DBusConnection {
        let socket = try await Connection.connect(to: .unix(path: path), timeout: timeout)
        let handshake: (guid: String, leftover: [UInt8])
        do {
            handshake = try await withTimeout(timeout, orThrow: { DBusError.noReply("authentication on \(path)", after: timeout) }) {
                try await DBusAuthentication.authenticate(socket)
            }
        } catch {
            socket.close()
            throw error
        }
        let core = DBusConnectionCore(socket: socket, leftover: handshake.leftover, trace: trace)
        var uniqueName: String?
        if bus {
            do {
                let reply = try await core.call(.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                                                            member: "Hello", destination: "org.freedesktop.DBus"),
                                                timeout: timeout)
                uniqueName = reply.body.first?.stringValue
            } catch {
                core.close(DBusError.disconnected("Hello failed: \(error)"))
                throw error
            }
        }
        return DBusConnection(core: core, serverGUID: handshake.guid, uniqueName: uniqueName)
    }

    /// Sends a method call and waits for its METHOD_RETURN. An ERROR reply throws `DBusError` with the
    /// peer's name and text; no reply within `timeout` throws `DBusError` named `NoReply`.
    public func call(_ message: DBusMessage, timeout: Duration = DBusConnection.defaultCallTimeout) async throws -> DBusMessage {
        try await core.call(message, timeout: timeout)
    }

    /// Calls `member` and returns the reply's body.
    public func call(path: String, interface: String?, member: String, body: [DBusValue] = [],
                     destination: String? = nil, timeout: Duration = DBusConnection.defaultCallTimeout) async throws -> [DBusValue] {
        try await core.call(.methodCall(path: path, interface: interface, member: member, destination: destination, body: body),
                            timeout: timeout).body
    }

    /// Sends a message without waiting for anything (a signal, or a call flagged `noReplyExpected`).
    /// Returns the serial it was sent with.
    @discardableResult
    public func send(_ message: DBusMessage) throws -> UInt32 {
        try core.send(message)
    }

    /// The incoming signals (or other messages) `rule` matches, from now until the connection closes
    /// or the consumer stops iterating. Registration happens before this returns, so a call made
    /// afterwards cannot race its own signals. Peer-to-peer the filtering is local; on a bus also call
    /// `addMatch(_:)` so the daemon forwards them.
    public func messages(matching rule: DBusMatchRule) -> DBusMessages {
        core.subscribe(rule).messages
    }

    /// `messages(matching:)` with a count of what it delivered, for consumers that must know when
    /// they have caught up: once a call's reply is in, every matching message that arrived before
    /// the reply is counted (messages are dispatched in arrival order).
    public func subscription(matching rule: DBusMatchRule) -> DBusSubscription {
        core.subscribe(rule)
    }

    /// Asks a bus daemon to route messages matching `rule` to us (`org.freedesktop.DBus.AddMatch`).
    public func addMatch(_ rule: DBusMatchRule, timeout: Duration = DBusConnection.defaultCallTimeout) async throws {
        _ = try await call(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "AddMatch",
                           body: [.string(rule.ruleString)], destination: "org.freedesktop.DBus", timeout: timeout)
    }

    /// Whether the connection is closed (by `close()`, the peer or a protocol error).
    public var isClosed: Bool { core.isClosed }

    /// Why the connection closed, if it did.
    public var closeReason: DBusError? { core.closeReason }

    /// Closes the socket, fails waiting calls and ends signal streams. Idempotent.
    public func close() { core.close(DBusError.disconnected("connection closed")) }
}
