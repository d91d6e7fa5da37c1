/// Why fetching an environment source failed.
public struct EnvironmentFetchError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable word callers can switch on.
    public enum Kind: String, Hashable, Sendable {
        case invalidSource = "invalid_source"
        case tooLarge = "too_large"
        case timedOut = "timeout"
        case httpStatus = "http_status"
        case transport = "transport"
        case invalidContent = "invalid_content"
        case cancelled = "cancelled"
    }

    public let kind: Kind
    public let source: String
    public let message: String

    public init(_ kind: Kind, source: String, message: String) {
        self.kind = kind
        self.source = source
        self.message = message
    }

    public var description: String { "fetching environment from \(source): \(message)" }
}
