/// Why a port pair (or its text form) was refused.
public struct PortPairError: Error, Hashable, Sendable, CustomStringConvertible {
    public let input: String
    public let reason: String
    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }
    public var description: String { "invalid port mapping \(String(reflecting: input)): \(reason)" }
}
