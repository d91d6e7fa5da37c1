/// A message or conversation that breaks the D-Bus protocol: malformed bytes, a violated limit, a
/// failed authentication. The message names what was wrong.
public struct DBusProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { "D-Bus protocol error: \(message)" }
}
