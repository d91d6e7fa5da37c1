/// Escaping of values for systemd unit files (systemd 252, systemd.service "Command lines",
/// systemd.syntax "Quoting", systemd.unit "Specifiers").
///
/// The rules that matter, from systemd's parser:
/// - A unit file line ending in `\` continues on the next line; `#`/`;` start a comment only at the
///   start of a line; a raw newline or carriage return ends the setting. So no value may carry a raw
///   control character, and an unquoted value may not end in `\`.
/// - Exec lines are split into words with quotes and C escapes (`\\`, `\"`, `\xNN`); an unknown escape
///   is only warned about, so we emit only known ones. After unquoting, `%` specifiers are expanded in
///   every word (`%%` is a literal `%`), and at run time `$NAME`/`${NAME}` are expanded (`$$` is a
///   literal `$`). A lone unquoted `;` separates commands; a quoted one does not.
/// - The first word of an Exec line may carry the prefixes `-@:+!`; we only ever put absolute paths
///   there (which start with `/`), and add prefixes ourselves.
/// - `Environment=` splits and unquotes like an Exec line and expands `%`, but not `$`.
/// - `Description=` and other plain strings are taken as they are after trimming whitespace, with `%`
///   expanded.
public enum SystemdEscaping {
    /// Characters that need neither quotes nor escapes in an Exec word.
    static func isBareSafe(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "+"), UInt8(ascii: "="),
             UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: "/"),
             UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static func isControl(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7F }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// One argument of an Exec line, so that systemd hands exactly `argument` to the program.
    /// Words made only of `[A-Za-z0-9_@+=:,./-]` stay bare; anything else is double-quoted with
    /// `\\`, `\"`, `\xNN` for control characters, `%%` and `$$`. NUL cannot be passed: it throws.
    public static func execArgument(_ argument: String) throws(RenderError) -> String {
        try quoted(argument, field: "exec argument", doubleDollar: true)
    }

    /// One `Environment=` assignment, quoted as a single word: `"NAME=value"`.
    /// `name` must be a valid environment name (`[A-Za-z_][A-Za-z0-9_]*`).
    public static func environmentAssignment(name: String, value: String) throws(RenderError) -> String {
        try validateEnvironmentName(name)
        let word = try quoted(name + "=" + value, field: "environment value", doubleDollar: false, forceQuotes: true)
        return word
    }

    /// A whole Exec line value: the executable (an absolute path of safe characters) and its
    /// arguments, each escaped with `execArgument`. `ignoreFailure` adds systemd's `-` prefix.
    public static func commandLine(_ argv: [String], ignoreFailure: Bool = false) throws(RenderError) -> String {
        guard !argv.isEmpty else {
            throw RenderError(field: "command", value: "", reason: "a command needs at least the executable")
        }
        var line = ExecLine(argv: argv)
        line.ignoreFailure = ignoreFailure
        return try line.render()
    }

    /// A plain single-line setting value (`Description=`, the `X-` metadata lines): taken literally by
    /// systemd except for `%` specifiers, so `%` becomes `%%`. Control characters, surrounding
    /// whitespace (systemd would trim it) and a trailing `\` (a line continuation) cannot be
    /// represented and throw.
    public static func plainValue(_ value: String, field: String = "setting value") throws(RenderError) -> String {
        let bytes = Array(value.utf8)
        if let bad = bytes.first(where: isControl) {
            throw RenderError(field: field, value: value, reason: "contains the control character 0x\(hex(bad)); values must be one line")
        }
        if let first = bytes.first, first == 0x20 {
            throw RenderError(field: field, value: value, reason: "may not start with a space")
        }
        if let last = bytes.last, last == 0x20 || last == UInt8(ascii: "\\") {
            throw RenderError(field: field, value: value, reason: "may not end with a space or a backslash")
        }
        return escapeSpecifiers(value)
    }

    /// The inverse of `plainValue`: `%%` back to `%`.
    public static func unescapePlainValue(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        var scalars = value.unicodeScalars.makeIterator()
        while let c = scalars.next() {
            out.append(c)
            if c == "%", let next = scalars.next(), next != "%" { out.append(next) }
        }
        return String(out)
    }

    /// Doubles every `%` so systemd's specifier expansion gives the text back.
    ///
    /// By Unicode scalar, as systemd goes by byte: `String.replacing` matches Characters, and `%`
    /// followed by a combining mark (U+0301) is one Character that is not `%`, so it was left single
    /// and systemd read `%` and the mark's first byte as a specifier (found by `Scripts/fuzz unit`).
    public static func escapeSpecifiers(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        for c in value.unicodeScalars {
            out.append(c)
            if c == "%" { out.append(c) }
        }
        return String(out)
    }

    /// An executable for an Exec line: absolute, normalised, made of characters that need no
    /// quoting (systemd refuses quotes, backslashes and control characters in it anyway).
    public static func validateExecutablePath(_ path: String) throws(RenderError) {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/"), bytes.count > 1 else {
            throw RenderError(field: "executable", value: path, reason: "must be an absolute path")
        }
        guard bytes.allSatisfy({ isBareSafe($0) && $0 != UInt8(ascii: "@") && $0 != UInt8(ascii: "=") }) else {
            throw RenderError(field: "executable", value: path, reason: "may contain only letters, digits and '_+:,./-'")
        }
        if bytes.last == UInt8(ascii: "/") {
            throw RenderError(field: "executable", value: path, reason: "names a directory")
        }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            if segment.isEmpty || segment == "." || segment == ".." {
                throw RenderError(field: "executable", value: path, reason: "must be a normalised path (no empty, '.' or '..' segments)")
            }
        }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, what systemd and every shell accept as a variable name (the rule of
    /// `EnvironmentVariable.isValidName`, so a unit never names a variable the env file cannot hold).
    public static func validateEnvironmentName(_ name: String) throws(RenderError) {
        guard EnvironmentVariable.isValidName(name) else {
            throw RenderError(field: "environment name", value: name, reason: "must match [A-Za-z_][A-Za-z0-9_]*")
        }
    }

    static func quoted(_ value: String, field: String, doubleDollar: Bool, forceQuotes: Bool = false) throws(RenderError) -> String {
        let bytes = Array(value.utf8)
        if bytes.contains(0) {
            throw RenderError(field: field, value: value, reason: "contains a NUL byte, which no command line can carry")
        }
        let bare = !forceQuotes && !bytes.isEmpty && bytes.allSatisfy(isBareSafe)
        if bare { return value }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(bytes.count + 8)
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "%"): out += [UInt8(ascii: "%"), UInt8(ascii: "%")]
            case UInt8(ascii: "$") where doubleDollar: out += [UInt8(ascii: "$"), UInt8(ascii: "$")]
            case let c where isControl(c):
                out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigits[Int(c >> 4)], hexDigits[Int(c & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ b: UInt8) -> String {
        String(decoding: [hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]], as: UTF8.self)
    }
}
