/// An error reply from the peer (an ERROR message: its name and first string argument), or a local
/// failure expressed with the specification's standard names (`NoReply` for a timeout,
/// `Disconnected` for a closed connection).
public struct DBusError: Error, Hashable, Sendable, CustomStringConvertible, Codable {
    /// The error name, such as `org.freedesktop.systemd1.NoSuchUnit`.
    public let name: String
    /// The human-readable text the peer sent, possibly empty.
    public let message: String

    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }

    public var description: String { message.isEmpty ? name : "\(name): \(message)" }

    /// The name for a call that got no reply in time.
    public static let noReplyName = "org.freedesktop.DBus.Error.NoReply"
    /// The name for a call on (or interrupted by) a closed connection.
    public static let disconnectedName = "org.freedesktop.DBus.Error.Disconnected"

    public static func noReply(_ what: String, after timeout: Duration) -> DBusError {
        DBusError(name: noReplyName, message: "no reply to \(what) within \(timeout)")
    }

    public static func disconnected(_ why: String) -> DBusError {
        DBusError(name: disconnectedName, message: why)
    }

    enum CodingKeys: String, CodingKey {
        case name
        case message
    }
}
