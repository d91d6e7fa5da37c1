/// Compact JSON output that is safe to frame as one line.
///
/// Keys are sorted by their UTF-8 bytes, control characters (so every newline) are escaped, `/` is not,
/// and non-ASCII text is written as UTF-8. A non-finite Double has no JSON form and is written as
/// `null`; `JSONValueEncoder` refuses such values before they get here.
extension JSONValue {
    /// The compact serialized form, without a trailing newline.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        serialize(into: &out)
        return out
    }

    /// Appends the compact serialized form to `out`.
    public func serialize(into out: inout [UInt8]) {
        switch self {
        case .null: JSONWriter.appendLiteral("null", to: &out)
        case .bool(let b): JSONWriter.appendLiteral(b ? "true" : "false", to: &out)
        case .int(let i): JSONWriter.appendInteger(i, to: &out)
        case .double(let d): JSONWriter.appendDouble(d, to: &out)
        case .string(let s): JSONWriter.appendString(s, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            var first = true
            for e in elements {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                e.serialize(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            for key in JSONWriter.sortedKeys(members) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONWriter.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key].unsafelyUnwrapped.serialize(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// The byte-level pieces of the serializer, shared with the envelope encoder.
enum JSONWriter {
    static func appendLiteral(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    static func sortedKeys(_ members: [String: JSONValue]) -> [String] {
        // String's < is by Unicode scalar values, which orders like UTF-8 bytes; it is also what
        // Foundation's .sortedKeys does on Linux for the keys we use (ASCII).
        members.keys.sorted()
    }

    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value >= 0 && value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 20 digits max, no heap
        var count = 0
        var magnitude = value.magnitude
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            if value < 0 { out.append(UInt8(ascii: "-")) }
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(raw[k]) }
        }
    }

    static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            appendLiteral("null", to: &out)
            return
        }
        // Swift's description is the shortest text that reads back exactly, and is valid JSON for
        // finite values ("1e-05", "1e+20", "0.1", "-0.0").
        out.append(contentsOf: value.description.utf8)
    }

    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = string
        s.withUTF8 { bytes in
            var runStart = 0
            for i in 0..<bytes.count {
                let b = bytes[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                runStart = i + 1
                out.append(UInt8(ascii: "\\"))
                switch b {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                            hex.utf8Start[Int(b >> 4)], hex.utf8Start[Int(b & 0xF)]])
                }
            }
            if runStart < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
