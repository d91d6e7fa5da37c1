/// An Exec line under construction. User data goes in as `literal` words (escaped); `verbatim`
/// words are fixed text of our own that uses systemd specifiers on purpose (`%t/%n.ctr-id`).
struct ExecLine {
    enum Word {
        case literal(String)
        case verbatim(String)
    }

    var executable: String
    var words: [Word] = []
    var ignoreFailure = false

    init(_ executable: String, ignoreFailure: Bool = false) {
        self.executable = executable
        self.ignoreFailure = ignoreFailure
    }

    init(argv: [String]) {
        executable = argv.first ?? ""
        words = argv.dropFirst().map(Word.literal)
    }

    mutating func add(_ arguments: String...) {
        words += arguments.map(Word.literal)
    }

    mutating func add(contentsOf arguments: [String]) {
        words += arguments.map(Word.literal)
    }

    mutating func addVerbatim(_ text: String) {
        words.append(.verbatim(text))
    }

    func render() throws(RenderError) -> String {
        try SystemdEscaping.validateExecutablePath(executable)
        var line = (ignoreFailure ? "-" : "") + SystemdEscaping.escapeSpecifiers(executable)
        for word in words {
            switch word {
            case .literal(let text): line += " " + (try SystemdEscaping.execArgument(text))
            case .verbatim(let text): line += " " + text
            }
        }
        return line
    }
}
