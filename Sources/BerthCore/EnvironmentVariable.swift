/// One `NAME=VALUE` of a container's environment. Names follow `[A-Za-z_][A-Za-z0-9_]*`;
/// values may hold any Unicode text, newlines included (the env-file writer escapes them).
public struct EnvironmentVariable: Hashable, Sendable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
