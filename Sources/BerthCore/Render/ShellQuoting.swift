/// POSIX shell quoting for the scripts Berth renders.
public enum ShellQuoting {
    /// One word, single-quoted: inside `'...'` every byte is literal, so a `'` is written as `'\''`
    /// (close, escaped quote, reopen). NUL cannot be in an argv and throws.
    public static func quote(_ word: String, field: String = "script argument") throws(RenderError) -> String {
        if word.utf8.contains(0) {
            throw RenderError(field: field, value: word, reason: "contains a NUL byte, which no argv can carry")
        }
        // By Unicode scalar, as the shell goes by byte: `String.replacing` matches Characters, and a
        // `'` followed by a combining mark (U+0301) is one Character that is not `'`, so it was left
        // as is and closed the quote early: the rest of the word ran as shell code.
        var out = String.UnicodeScalarView("'".unicodeScalars)
        for c in word.unicodeScalars {
            if c == "'" { out.append(contentsOf: "'\\''".unicodeScalars) } else { out.append(c) }
        }
        out.append("'")
        return String(out)
    }
}
