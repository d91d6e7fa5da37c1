/// A shell `berth completion` writes a script for.
enum CompletionShell: String, CaseIterable, Sendable {
    case bash, zsh, fish

    func script(_ table: CompletionTable) -> String {
        switch self {
        case .bash: BashCompletion(table: table).script
        case .zsh: ZshCompletion(table: table).script
        case .fish: FishCompletion(table: table).script
        }
    }

    /// `text` as one single-quoted shell word (the same rule in bash, zsh and fish).
    static func quote(_ text: String) -> String {
        var quoted = "'"
        for character in text { if character == "'" { quoted += "'\\''" } else { quoted.append(character) } }
        return quoted + "'"
    }
}
