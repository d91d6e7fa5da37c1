/// POSIX shell quoting for the scripts Berth renders.
public enum ShellQuoting {
    /// One word, single-quoted: inside `'...'` every byte is literal, so a `'` is written as `'\''`
    /// (close, escaped quote, reopen). NUL cannot be in an argv and throws.
    public static func quote(_ word: String, field: String = "script argument") throws(RenderError) -> String {
        if word.utf8.contains(0) {
            throw RenderError(field: field, value: word, reason: "contains a NUL byte, which no argv can carry")
        }
        return "'" + word.replacing("'", with: "'\\''") + "'"
    }
}
