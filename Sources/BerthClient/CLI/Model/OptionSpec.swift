/// One option of a command, declared once: the parser, `--help` and the shell completions all read
/// it, so an option cannot be parsed without being documented, or documented without being parsed.
public struct OptionSpec: Sendable {
    /// Its spellings, the short one first: `["-p", "--port"]`. The last one is its key.
    public let names: [String]
    /// The value's name in help (`PORT[:HOST]`); nil for a flag, which takes no value.
    public let valueName: String?
    /// One line, or several joined by "\n" (continuation lines of the help column).
    public let help: String
    /// May be given several times (each value kept, in order); otherwise a second one is an error.
    public let repeatable: Bool
    /// What a shell offers for the value.
    public let completion: ValueCompletion

    public init(_ names: String..., value: String? = nil, repeatable: Bool = false,
                completion: ValueCompletion = .none, help: String) {
        self.names = names
        self.valueName = value
        self.help = help
        self.repeatable = repeatable
        self.completion = completion
    }

    /// The name parsed values are kept under (the long spelling).
    public var key: String { names[names.count - 1] }
    public var takesValue: Bool { valueName != nil }
    /// `-p, --port PORT[:HOST]` as the help column shows it.
    var label: String { names.joined(separator: ", ") + (valueName.map { " " + $0 } ?? "") }
}
