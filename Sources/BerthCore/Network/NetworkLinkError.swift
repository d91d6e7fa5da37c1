/// Why a network link (or its text form) was refused.
public struct NetworkLinkError: Error, Hashable, Sendable, CustomStringConvertible {
    public let input: String
    public let reason: String
    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }
    public var description: String { "invalid network link \(String(reflecting: input)): \(reason)" }
}
