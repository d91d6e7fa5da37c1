/// One complete D-Bus type, as a signature spells it (`s`, `a{sv}`, `(uoss)`, ...).
///
/// Parsing enforces the specification's limits so a hostile signature is an error, not a deep
/// recursion: at most 255 bytes, 32 nested arrays, 32 nested structs, dict entries only as array
/// elements with a basic key.
public indirect enum DBusType: Hashable, Sendable, CustomStringConvertible {
    case byte, boolean, int16, uint16, int32, uint32, int64, uint64, double
    case string, objectPath, signature, unixFD
    case array(DBusType)
    case structure([DBusType])
    case dictEntry(key: DBusType, value: DBusType)
    case variant

    /// The longest signature the specification allows, in bytes.
    public static let maximumSignatureLength = 255
    /// The deepest nesting of arrays (and, separately, of structs) the specification allows.
    public static let maximumNesting = 32

    /// The signature of this one type.
    public var signature: String {
        switch self {
        case .byte: "y"
        case .boolean: "b"
        case .int16: "n"
        case .uint16: "q"
        case .int32: "i"
        case .uint32: "u"
        case .int64: "x"
        case .uint64: "t"
        case .double: "d"
        case .string: "s"
        case .objectPath: "o"
        case .signature: "g"
        case .unixFD: "h"
        case .array(let element): "a" + element.signature
        case .structure(let fields): "(" + fields.map(\.signature).joined() + ")"
        case .dictEntry(let key, let value): "{" + key.signature + value.signature + "}"
        case .variant: "v"
        }
    }

    public var description: String { signature }

    /// The boundary a value of this type starts on, in bytes from the start of the message.
    public var alignment: Int {
        switch self {
        case .byte, .signature, .variant: 1
        case .int16, .uint16: 2
        case .boolean, .int32, .uint32, .unixFD, .string, .objectPath, .array: 4
        case .int64, .uint64, .double, .structure, .dictEntry: 8
        }
    }

    /// Whether this is a basic (non-container) type, the only kind a dict key may be.
    public var isBasic: Bool {
        switch self {
        case .array, .structure, .dictEntry, .variant: false
        default: true
        }
    }

    /// Parses a signature into its complete types. The empty signature is no types.
    public static func parse(_ signature: String) throws -> [DBusType] {
        let bytes = Array(signature.utf8)
        guard bytes.count <= maximumSignatureLength else {
            throw DBusProtocolError("signature is \(bytes.count) bytes, over the limit of \(maximumSignatureLength)")
        }
        var parser = SignatureParser(bytes: bytes, text: signature)
        var types: [DBusType] = []
        while parser.index < bytes.count { types.append(try parser.parseOne(arrays: 0, structs: 0)) }
        return types
    }

    /// Parses a signature that must hold exactly one complete type (as a variant's does).
    public static func parseSingle(_ signature: String) throws -> DBusType {
        let types = try parse(signature)
        guard types.count == 1 else {
            throw DBusProtocolError("signature '\(signature)' must be exactly one complete type, not \(types.count)")
        }
        return types[0]
    }
}

/// A recursive-descent parser over signature bytes; depth is bounded by the nesting limits.
private struct SignatureParser {
    let bytes: [UInt8]
    let text: String
    var index = 0

    func fail(_ why: String) -> DBusProtocolError {
        DBusProtocolError("invalid signature '\(text)': \(why) at offset \(index)")
    }

    mutating func parseOne(arrays: Int, structs: Int) throws -> DBusType {
        guard index < bytes.count else { throw fail("unexpected end") }
        let code = bytes[index]
        index += 1
        switch code {
        case UInt8(ascii: "y"): return .byte
        case UInt8(ascii: "b"): return .boolean
        case UInt8(ascii: "n"): return .int16
        case UInt8(ascii: "q"): return .uint16
        case UInt8(ascii: "i"): return .int32
        case UInt8(ascii: "u"): return .uint32
        case UInt8(ascii: "x"): return .int64
        case UInt8(ascii: "t"): return .uint64
        case UInt8(ascii: "d"): return .double
        case UInt8(ascii: "s"): return .string
        case UInt8(ascii: "o"): return .objectPath
        case UInt8(ascii: "g"): return .signature
        case UInt8(ascii: "h"): return .unixFD
        case UInt8(ascii: "v"): return .variant
        case UInt8(ascii: "a"):
            guard arrays < DBusType.maximumNesting else { throw fail("arrays nested deeper than \(DBusType.maximumNesting)") }
            if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
                index += 1
                let key = try parseOne(arrays: arrays + 1, structs: structs)
                guard key.isBasic else { throw fail("a dict key must be a basic type, not '\(key)'") }
                let value = try parseOne(arrays: arrays + 1, structs: structs)
                guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else { throw fail("a dict entry needs exactly a key and a value, then '}'") }
                index += 1
                return .array(.dictEntry(key: key, value: value))
            }
            return .array(try parseOne(arrays: arrays + 1, structs: structs))
        case UInt8(ascii: "("):
            guard structs < DBusType.maximumNesting else { throw fail("structs nested deeper than \(DBusType.maximumNesting)") }
            var fields: [DBusType] = []
            while true {
                guard index < bytes.count else { throw fail("unclosed '('") }
                if bytes[index] == UInt8(ascii: ")") { index += 1; break }
                fields.append(try parseOne(arrays: arrays, structs: structs + 1))
            }
            guard !fields.isEmpty else { throw fail("empty struct") }
            return .structure(fields)
        case UInt8(ascii: "{"):
            throw fail("a dict entry may only be an array's element")
        case UInt8(ascii: "}"), UInt8(ascii: ")"):
            index -= 1
            throw fail("unexpected '\(Unicode.Scalar(code))' (a dict entry needs exactly a key and a value; a struct at least one field)")
        default:
            index -= 1
            throw fail("unknown type code '\(Unicode.Scalar(code))'")
        }
    }
}
