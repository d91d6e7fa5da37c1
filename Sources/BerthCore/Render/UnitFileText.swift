/// Accumulates the text of one unit file. Values handed to `set` must already be escaped (see
/// `SystemdEscaping`); the builder only refuses what would break the file's line structure, as a
/// last line of defence.
struct UnitFileText {
    private(set) var text: String

    init(header: String) {
        text = "# " + header + "\n"
    }

    mutating func section(_ name: String) {
        if !text.hasSuffix("\n\n") && text.contains("[") { text += "\n" }
        text += "[" + name + "]\n"
    }

    mutating func set(_ key: String, _ value: String) {
        precondition(!value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }), "unescaped newline in \(key)=")
        text += key + "=" + value + "\n"
    }

    mutating func comment(_ line: String) {
        text += "# " + line + "\n"
    }
}
