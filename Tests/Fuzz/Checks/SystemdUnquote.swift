/// A model of how systemd 252 reads an Exec line back into an argv (extract_first_word with
/// EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE, then `%%` -> `%`, then at run time `$$` -> `$`), only as much
/// of it as our escaper emits plus the traps it must avoid. Used to check round trips: by the render
/// tests and by the `unit` fuzz target. `Environment=` is read the same way without the `$` step
/// (`expandsDollars: false`).
public enum SystemdUnquote {
    public struct Failure: Error, CustomStringConvertible { public let description: String }

    public static func argv(_ line: String, expandsDollars: Bool = true) throws -> [String] {
        let bytes = Array(line.utf8)
        var words: [[UInt8]] = []
        var i = 0
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        while i < bytes.count {
            while i < bytes.count && isSpace(bytes[i]) { i += 1 }
            if i >= bytes.count { break }
            if bytes[i] == UInt8(ascii: ";") && (i + 1 == bytes.count || isSpace(bytes[i + 1])) {
                throw Failure(description: "unquoted ';' would split the command")
            }
            var word: [UInt8] = []
            var quote: UInt8? = nil
            while i < bytes.count {
                let b = bytes[i]
                if quote == nil && isSpace(b) { break }
                if b < 0x20 || b == 0x7F { throw Failure(description: "raw control character in line") }
                if quote == nil && (b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")) { quote = b; i += 1; continue }
                if let q = quote, b == q { quote = nil; i += 1; continue }
                if b == UInt8(ascii: "\\") {
                    guard i + 1 < bytes.count else { throw Failure(description: "trailing backslash") }
                    let e = bytes[i + 1]
                    switch e {
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): word.append(e); i += 2
                    case UInt8(ascii: "n"): word.append(0x0A); i += 2
                    case UInt8(ascii: "x"):
                        guard i + 3 < bytes.count, let v = UInt8(String(decoding: bytes[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) else {
                            throw Failure(description: "bad \\x escape")
                        }
                        if v == 0 { throw Failure(description: "\\x00 refused by systemd") }
                        word.append(v); i += 4
                    default: throw Failure(description: "unknown escape \\\(Character(UnicodeScalar(e)))")
                    }
                    continue
                }
                word.append(b); i += 1
            }
            if quote != nil { throw Failure(description: "unbalanced quote") }
            words.append(word)
        }
        return try words.map { w in
            let text = String(decoding: w, as: UTF8.self)
            let resolved = try resolveSpecifiers(text)
            return expandsDollars ? try resolveDollars(resolved) : resolved
        }
    }

    // Both walk Unicode scalars, as systemd walks bytes: a Character would swallow a combining mark
    // after `%` or `$` into one grapheme and hide the special character.
    public static func resolveSpecifiers(_ s: String) throws -> String {
        var out = String.UnicodeScalarView()
        var it = s.unicodeScalars.makeIterator()
        while let c = it.next() {
            if c == "%" {
                guard let n = it.next() else { throw Failure(description: "lone % at end") }
                if n == "%" {
                    out.append("%")
                } else if n == "t" || n == "n" {
                    // The specifiers our own fixed words use, marked so they never equal user text.
                    out.append(contentsOf: "«\(n)»".unicodeScalars)
                } else {
                    throw Failure(description: "specifier %\(n) would be expanded")
                }
            } else { out.append(c) }
        }
        return String(out)
    }

    public static func resolveDollars(_ s: String) throws -> String {
        var out = String.UnicodeScalarView()
        var it = s.unicodeScalars.makeIterator()
        while let c = it.next() {
            if c == "$" {
                guard let n = it.next(), n == "$" else { throw Failure(description: "a $ would expand a variable") }
                out.append("$")
            } else { out.append(c) }
        }
        return String(out)
    }
}
