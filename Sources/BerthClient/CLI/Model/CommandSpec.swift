/// What one `berth` command takes, declared once: its arguments, its options and its prose. Parsing
/// (`parse(_:)`), the usage line, `--help` and the shell completions are all derived from it.
public struct CommandSpec: Sendable {
    /// The words that select it, as in `node info`.
    public let name: String
    /// One line for the command list.
    public let abstract: String
    public let arguments: [ArgumentSpec]
    /// What `--` introduces (install's command); nil: words after `--` are more arguments.
    public let rest: ArgumentSpec?
    public let options: [OptionSpec]
    /// Whether it talks to nodes and so takes the node options (`GlobalOptions.specs`).
    public let nodeOptions: Bool
    /// Prose for `--help`, after the options.
    public let discussion: String

    public init(_ name: String, abstract: String, arguments: [ArgumentSpec] = [], rest: ArgumentSpec? = nil,
                options: [OptionSpec] = [], nodeOptions: Bool = true, discussion: String = "") {
        self.name = name
        self.abstract = abstract
        self.arguments = arguments
        self.rest = rest
        self.options = options
        self.nodeOptions = nodeOptions
        self.discussion = discussion
    }

    /// Every option it accepts: its own, then the node options; `--help` is handled before parsing.
    public var allOptions: [OptionSpec] { nodeOptions ? options + GlobalOptions.specs : options }

    /// The usage line, printed with every usage error.
    public var usage: String {
        var parts = ["berth", name] + arguments.map(\.usage)
        for option in options {
            let text = "[" + option.names[0] + (option.valueName.map { " " + $0 } ?? "") + "]"
            parts.append(option.repeatable ? text + "..." : text)
        }
        if nodeOptions { parts.append("[NODE OPTIONS]") }
        if let rest { parts.append("[-- \(rest.usage)]") }
        return parts.joined(separator: " ")
    }

    /// The full `--help` text.
    public var helpText: String {
        var sections = ["\(abstract)\n\nUSAGE: \(usage)"]
        let positionals = arguments.map { ($0.usage, $0.help) } + (rest.map { [("\($0.usage)", "after --: " + $0.help)] } ?? [])
        if !positionals.isEmpty { sections.append(Self.section("ARGUMENTS", positionals)) }
        let help = [("-h, --help", "show this help")]
        if !options.isEmpty || !nodeOptions {
            sections.append(Self.section("OPTIONS", options.map { ($0.label, $0.help) } + (nodeOptions ? [] : help)))
        }
        if !discussion.isEmpty { sections.append(discussion) }
        if nodeOptions { sections.append(GlobalOptions.helpText) }
        sections.append(ExitCode.helpText)
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// `TITLE:` and two columns, the second one's continuation lines aligned under it.
    static func section(_ title: String, _ rows: [(String, String)]) -> String {
        let width = rows.map { $0.0.count }.max() ?? 0
        var lines = [title + ":"]
        for (label, help) in rows {
            let pad = String(repeating: " ", count: width + 4)
            let helpLines = help.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append("  " + label + String(repeating: " ", count: width - label.count + 2) + helpLines[0])
            lines += helpLines.dropFirst().map { pad + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
