import BerthCore

/// The unit-text escaper: each form it emits reads back, through `SystemdUnquote` (the model of
/// systemd's reader), as the original text, and carries no raw control character (which would end
/// the unit line). Also the shell quoting of the container scripts the units run: the quoted word
/// reads back, by POSIX single-quote rules, as the original.
///
/// Input: as UTF-8 text (invalid sequences replaced) for one value; cut at spaces for a command line.
enum UnitChecks {
    static func check(_ input: [UInt8]) throws(PropertyViolation) {
        let value = String(decoding: input, as: UTF8.self)
        let hasNUL = value.utf8.contains(0)

        // An Exec argument: NUL is the one byte no command line can carry.
        if let escaped = try? SystemdEscaping.execArgument(value) {
            if hasNUL { throw PropertyViolation("execArgument accepted a NUL byte") }
            try expect(escaped, reads: ["/bin/echo", value], line: "/bin/echo " + escaped)
        } else if !hasNUL {
            throw PropertyViolation("execArgument refused \(PropertyViolation.show(input)), which holds no NUL")
        }

        // A whole command line of several arguments.
        let argv = ["/usr/bin/podman"] + value.split(separator: " ", omittingEmptySubsequences: false).prefix(32).map(String.init)
        if let line = try? SystemdEscaping.commandLine(argv) {
            try expect(line, reads: argv, line: line)
        } else if !hasNUL {
            throw PropertyViolation("commandLine refused \(argv), which holds no NUL")
        }

        // An Environment= assignment: unquoted like an Exec word, `%` expanded, `$` kept.
        if let word = try? SystemdEscaping.environmentAssignment(name: "V", value: value) {
            try expect(word, reads: ["V=" + value], line: word, expandsDollars: false)
        }

        // A word of a container script (ShellQuoting): NUL is the one byte an argv cannot carry.
        if let quoted = try? ShellQuoting.quote(value) {
            guard shellWord(Array(quoted.utf8)) == Array(value.utf8) else {
                throw PropertyViolation("ShellQuoting gave \(PropertyViolation.show(Array(quoted.utf8))), which sh reads differently")
            }
        }

        // A plain value (Description=, X- lines): only `%` is special, and it must stay one line
        // that systemd neither trims nor continues.
        if let plain = try? SystemdEscaping.plainValue(value) {
            let bytes = Array(plain.utf8)
            if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                throw PropertyViolation("plainValue let a control character through: \(PropertyViolation.show(bytes))")
            }
            if let first = bytes.first, first == 0x20 || first == 0x09 {
                throw PropertyViolation("plainValue starts with a blank systemd trims: \(PropertyViolation.show(bytes))")
            }
            if let last = bytes.last, last == 0x20 || last == 0x09 || last == UInt8(ascii: "\\") {
                throw PropertyViolation("plainValue ends with a blank or a continuation: \(PropertyViolation.show(bytes))")
            }
            let read: String
            do { read = try SystemdUnquote.resolveSpecifiers(plain) } catch {
                throw PropertyViolation("plainValue \(PropertyViolation.show(bytes)) does not read back: \(error)")
            }
            guard Array(read.utf8) == Array(value.utf8) else {
                throw PropertyViolation("plainValue \(PropertyViolation.show(bytes)) reads back as \(PropertyViolation.show(Array(read.utf8)))")
            }
        }
    }

    /// POSIX sh reading of a word made of `'...'` pieces and `\\x` escapes: the bytes it stands for,
    /// or nil if the word holds anything else outside quotes (which the shell would interpret).
    static func shellWord(_ word: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while i < word.count {
            switch word[i] {
            case UInt8(ascii: "'"):
                guard let close = word[(i + 1)...].firstIndex(of: UInt8(ascii: "'")) else { return nil }
                out += word[(i + 1)..<close]
                i = close + 1
            case UInt8(ascii: "\\") where i + 1 < word.count:
                out.append(word[i + 1])
                i += 2
            default:
                return nil
            }
        }
        return out
    }

    static func expect(_ emitted: String, reads expected: [String], line: String, expandsDollars: Bool = true) throws(PropertyViolation) {
        let bytes = Array(emitted.utf8)
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw PropertyViolation("the escaper emitted a raw control character: \(PropertyViolation.show(bytes))")
        }
        let read: [String]
        do {
            read = try SystemdUnquote.argv(line, expandsDollars: expandsDollars)
        } catch {
            throw PropertyViolation("systemd would not read \(PropertyViolation.show(Array(line.utf8))) back: \(error)")
        }
        guard read.map({ Array($0.utf8) }) == expected.map({ Array($0.utf8) }) else {
            throw PropertyViolation("\(PropertyViolation.show(Array(line.utf8))) reads back as \(read), not \(expected)")
        }
    }
}
