/// The byte-at-a-time state machine behind `EnvironmentFile.parse`, shaped like systemd's so the two
/// agree on every input.
struct EnvironmentFileParser {
    private enum State {
        case preKey, key, preValue, value, valueEscape
        case singleQuote, doubleQuote, doubleQuoteEscape, comment, commentEscape
    }

    private(set) var environment = Environment()
    private var state = State.preKey
    private var key: [UInt8] = []
    private var value: [UInt8] = []
    /// Where trailing blanks of the key or an unquoted value begin, if they do.
    private var keyBlanks: Int?
    private var valueBlanks: Int?
    private var line = 1
    private var keyLine = 1

    private static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
    private static func isNewline(_ c: UInt8) -> Bool { c == 0x0A || c == 0x0D }

    mutating func feed(_ c: UInt8) throws(EnvironmentError) {
        if c == 0 { throw EnvironmentError(line: line, reason: "contains a NUL byte") }
        switch state {
        case .preKey:
            if c == UInt8(ascii: "#") || c == UInt8(ascii: ";") {
                state = .comment
            } else if !Self.isBlank(c) {
                state = .key
                key = [c]
                keyBlanks = nil
                keyLine = line
            }
        case .key:
            if Self.isNewline(c) {
                throw EnvironmentError(line: keyLine, reason: "expected NAME=VALUE")
            } else if c == UInt8(ascii: "=") {
                state = .preValue
                value = []
                valueBlanks = nil
            } else {
                if !Self.isBlank(c) { keyBlanks = nil } else if keyBlanks == nil { keyBlanks = key.count }
                key.append(c)
            }
        case .preValue:
            if Self.isNewline(c) {
                try push(trimValue: false)
                state = .preKey
            } else if c == UInt8(ascii: "'") {
                state = .singleQuote
            } else if c == UInt8(ascii: "\"") {
                state = .doubleQuote
            } else if c == UInt8(ascii: "\\") {
                state = .valueEscape
            } else if !Self.isBlank(c) {
                state = .value
                value.append(c)
            }
        case .value:
            if Self.isNewline(c) {
                try push(trimValue: true)
                state = .preKey
            } else if c == UInt8(ascii: "\\") {
                state = .valueEscape
                valueBlanks = nil
            } else {
                if !Self.isBlank(c) { valueBlanks = nil } else if valueBlanks == nil { valueBlanks = value.count }
                value.append(c)
            }
        case .valueEscape:
            state = .value
            if !Self.isNewline(c) { value.append(c) }
        case .singleQuote:
            if c == UInt8(ascii: "'") { state = .preValue } else { value.append(c) }
        case .doubleQuote:
            if c == UInt8(ascii: "\"") {
                state = .preValue
            } else if c == UInt8(ascii: "\\") {
                state = .doubleQuoteEscape
            } else {
                value.append(c)
            }
        case .doubleQuoteEscape:
            state = .doubleQuote
            if "\"\\`$".utf8.contains(c) {
                value.append(c)
            } else if c != 0x0A {
                value.append(UInt8(ascii: "\\"))
                value.append(c)
            }
        case .comment:
            if c == UInt8(ascii: "\\") { state = .commentEscape } else if Self.isNewline(c) { state = .preKey }
        case .commentEscape:
            if Self.isNewline(c) {
                throw EnvironmentError(line: line, reason: "a comment ending in '\\' is read differently by systemd versions")
            }
            state = .comment
        }
        if c == 0x0A {
            line += 1
            if line > EnvironmentFile.maxLines {
                throw EnvironmentError(line: line, reason: "more than \(EnvironmentFile.maxLines) lines")
            }
        }
    }

    mutating func finish() throws(EnvironmentError) {
        switch state {
        case .preKey, .comment, .commentEscape: break
        case .key: throw EnvironmentError(line: keyLine, reason: "expected NAME=VALUE")
        case .singleQuote, .doubleQuote, .doubleQuoteEscape:
            throw EnvironmentError(line: keyLine, reason: "unterminated quote in the value of \(String(decoding: key, as: UTF8.self))")
        case .preValue, .valueEscape: try push(trimValue: false)
        case .value: try push(trimValue: true)
        }
        state = .preKey
    }

    private mutating func push(trimValue: Bool) throws(EnvironmentError) {
        if let keyBlanks { key.removeSubrange(keyBlanks...) }
        if trimValue, let valueBlanks { value.removeSubrange(valueBlanks...) }
        guard let name = String(validating: key, as: UTF8.self),
              let text = String(validating: value, as: UTF8.self) else {
            throw EnvironmentError(line: keyLine, reason: "not valid UTF-8")
        }
        do {
            try environment.set(EnvironmentVariable(name: name, value: text))
        } catch {
            throw EnvironmentError(line: keyLine, reason: error.reason)
        }
        key = []
        value = []
    }
}
