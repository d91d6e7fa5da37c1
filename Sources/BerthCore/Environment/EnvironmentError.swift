/// Why an environment variable, file or source was refused. `line` is set when the text came from a
/// file or a fetched source.
public struct EnvironmentError: Error, Hashable, Sendable, CustomStringConvertible {
    public let line: Int?
    public let reason: String
    public init(line: Int? = nil, reason: String) {
        self.line = line
        self.reason = reason
    }
    public var description: String {
        if let line { return "environment, line \(line): \(reason)" }
        return "environment: \(reason)"
    }
}
