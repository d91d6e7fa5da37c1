/// Why an input cannot be rendered into a unit, script or iptables plan. Rendering never
/// produces partial output: any bad input throws before a single line is returned.
public struct RenderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong, e.g. "image", "volume", "exec argument", "link".
    public let field: String
    /// The offending value, as given.
    public let value: String
    /// The rule it broke, in words a person can act on.
    public let reason: String

    public init(field: String, value: String, reason: String) {
        self.field = field
        self.value = value
        self.reason = reason
    }

    public var description: String { "invalid \(field) \(String(reflecting: value)): \(reason)" }
}
