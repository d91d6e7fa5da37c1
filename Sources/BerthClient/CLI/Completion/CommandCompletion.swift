/// One command as a completion script sees it: the words that select it and what to offer after them.
struct CommandCompletion {
    /// `install`, `node info`; `node` alone when only its sub-commands exist.
    let name: String
    /// Its options' spellings (`-h`/`--help` included); none for a bare `node`.
    let options: [String]
    /// Words to offer for an argument: a sub-command's second word, or an argument's choices.
    let words: [String]
    /// Whether an argument is a file name.
    let files: Bool
    /// How many arguments it takes at most (nil: no limit).
    let maxArguments: Int?

    var wordCount: Int { name.split(separator: " ").count }
}

extension CompletionTable {
    /// Every command and every first word with sub-commands, each once.
    var commands: [CommandCompletion] {
        var result: [CommandCompletion] = []
        for word in firstWords {
            let subs = subcommands.filter { $0.first == word }.map(\.second)
            if let spec = specs.first(where: { $0.name == word }) {
                result.append(completion(spec, extraWords: subs))
            } else {
                result.append(CommandCompletion(name: word, options: [], words: subs, files: false, maxArguments: 1))
            }
        }
        for spec in specs where spec.name.contains(" ") { result.append(completion(spec, extraWords: [])) }
        return result
    }

    private func completion(_ spec: CommandSpec, extraWords: [String]) -> CommandCompletion {
        var words = extraWords
        var files = false
        for argument in spec.arguments {
            switch argument.completion {
            case .words(let choices): words += choices
            case .file: files = true
            case .none: break
            }
        }
        // A sub-command's word counts as the one argument a command with sub-commands may get.
        let max: Int? = spec.arguments.last?.repeatable == true ? nil : max(spec.arguments.count, extraWords.isEmpty ? 0 : 1)
        return CommandCompletion(name: spec.name, options: optionNames(spec), words: words, files: files, maxArguments: max)
    }
}
