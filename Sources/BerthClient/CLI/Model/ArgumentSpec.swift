/// A positional argument of a command.
public struct ArgumentSpec: Sendable {
    /// Its name in usage and help: `IMAGE`, `[NODE/]ID`.
    public let name: String
    public let help: String
    /// One or more (`ID...`); otherwise exactly one.
    public let repeatable: Bool
    public let completion: ValueCompletion
    /// How the usage error names it when it is missing (`missing the container ID`).
    public let noun: String

    public init(_ name: String, repeatable: Bool = false, completion: ValueCompletion = .none, noun: String? = nil, help: String) {
        self.name = name
        self.noun = noun ?? name
        self.help = help
        self.repeatable = repeatable
        self.completion = completion
    }

    var usage: String { repeatable ? name + "..." : name }
}
