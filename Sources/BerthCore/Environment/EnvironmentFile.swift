/// systemd's `EnvironmentFile=` format, the one users write environments in: `berth install
/// --env-file`, an `environmentSource`'s body, and container environment files written before the
/// node stored them in the runtime's format (`RuntimeEnvironmentFile`). The parser reads what
/// systemd's `load_env_file` reads; the variables it yields are then validated like any others, so
/// a quoted multi-line value is refused with its line.
///
/// The grammar (systemd src/basic/env-file.c): blanks before a name are skipped; a line starting with
/// `#` or `;` is a comment; `NAME=VALUE`, blanks around the name dropped. An unquoted value has its
/// blanks trimmed at both ends and `\x` stands for `x` (a `\` before a newline joins the next line).
/// `'...'` keeps everything literally up to the next `'`, newlines included. In `"..."` a `\` before
/// one of `` "\`$ `` stands for that character, before a newline joins lines, and is kept before
/// anything else; newlines are literal. Quoted and unquoted pieces may follow one another.
///
/// Where systemd silently drops what it cannot use, this parser throws instead, naming the line:
/// a name that is not `[A-Za-z_][A-Za-z0-9_]*`, a line without `=`, a NUL byte, an unterminated
/// quote, and a comment that ends in `\` (systemd 252 joins the next line to it, 254+ does not).
public enum EnvironmentFile {
    /// The largest file accepted.
    public static let maxBytes = 1 << 20
    /// The most lines accepted.
    public static let maxLines = 10_000

    /// Parses text in the grammar above.
    public static func parse(_ text: String) throws(EnvironmentError) -> Environment {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses bytes in the grammar above; they must be UTF-8.
    public static func parse(bytes: [UInt8]) throws(EnvironmentError) -> Environment {
        guard bytes.count <= maxBytes else { throw EnvironmentError(reason: "larger than \(maxBytes) bytes") }
        var parser = EnvironmentFileParser()
        for b in bytes { try parser.feed(b) }
        try parser.finish()
        return parser.environment
    }
}
