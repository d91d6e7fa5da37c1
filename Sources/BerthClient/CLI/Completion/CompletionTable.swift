/// What every shell's completion script needs from the commands' specs, worked out once: the
/// command words, the options that take a value (whose next word is that value, not a command
/// word), and each command's options and argument completion.
struct CompletionTable {
    let specs: [CommandSpec]

    init(_ specs: [CommandSpec]) { self.specs = specs }

    /// The first words of every command (`node` for `node info`), in the command list's order.
    var firstWords: [String] {
        var seen = Set<String>()
        return specs.compactMap { spec in
            let word = String(spec.name.split(separator: " ")[0])
            return seen.insert(word).inserted ? word : nil
        }
    }

    /// The one-line description of a first word: its command's abstract, or the sub-commands'.
    func abstract(of word: String) -> String {
        if let spec = specs.first(where: { $0.name == word }) { return spec.abstract }
        return specs.filter { $0.name.hasPrefix(word + " ") }.map(\.name).joined(separator: ", ")
    }

    /// Two-word commands: `node info`, `agent status`.
    var subcommands: [(first: String, second: String, abstract: String)] {
        specs.compactMap { spec in
            let words = spec.name.split(separator: " ").map(String.init)
            return words.count == 2 ? (words[0], words[1], spec.abstract) : nil
        }
    }

    /// Every spelling, in any command, of an option that takes a value.
    var valuedNames: [String] { unique(specs.flatMap(\.allOptions).filter(\.takesValue).flatMap(\.names)) }

    /// Every spelling of an option whose value is a file name.
    var fileNames: [String] {
        unique(specs.flatMap(\.allOptions).filter { if case .file = $0.completion { true } else { false } }.flatMap(\.names))
    }

    /// A command's options, `-h` and `--help` included.
    func optionNames(_ spec: CommandSpec) -> [String] { spec.allOptions.flatMap(\.names) + ["-h", "--help"] }

    private func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
