/// Decodes `Decodable` values straight from a parsed `JSONValue`, so a request's params are read once
/// by the parser and never re-parsed.
///
/// Numbers are exact: an integer type accepts `.int` in range, or a `.double` holding an exact integer;
/// `Double`/`Float` accept either kind. With `rejectUnknownKeys`, an object member that the type never
/// asked for is an error naming its path ("unknown key 'readonly' at volumes[0]"): the node sets it
/// for params so a misspelt option is not silently ignored; clients leave it off so they read results
/// from newer nodes (additive changes) without complaint.
public struct JSONValueDecoder: Sendable {
    public var rejectUnknownKeys: Bool

    public init(rejectUnknownKeys: Bool = false) {
        self.rejectUnknownKeys = rejectUnknownKeys
    }

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        let tracker = rejectUnknownKeys ? KeyTracker() : nil
        let decoder = JSONValueDecoding(value: value, codingPath: [], tracker: tracker)
        let result = try T(from: decoder)
        if let tracker { try tracker.check() }
        return result
    }
}

/// Remembers which members of which objects were read, to find the ones nobody asked for.
final class KeyTracker {
    private var seen: [(path: [any CodingKey], members: [String: JSONValue], used: Set<String>)] = []
    private var indexByPath: [String: Int] = [:]

    func register(path: [any CodingKey], members: [String: JSONValue]) -> Int {
        let rendered = DecodingPath.render(path)
        if let existing = indexByPath[rendered] { return existing }
        seen.append((path, members, []))
        indexByPath[rendered] = seen.count - 1
        return seen.count - 1
    }

    func use(_ key: String, in slot: Int) { seen[slot].used.insert(key) }

    func check() throws {
        for entry in seen {
            if let unknown = entry.members.keys.sorted().first(where: { !entry.used.contains($0) }) {
                let key = AnyCodingKey(unknown)
                throw DecodingError.dataCorrupted(.init(
                    codingPath: entry.path + [key], debugDescription: "unknown key \(String(reflecting: unknown))"))
            }
        }
    }
}

/// Renders coding paths the way people write them: `volumes[0].hostPath`.
public enum DecodingPath {
    public static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue { out += "[\(i)]" } else {
                if !out.isEmpty { out += "." }
                out += key.stringValue
            }
        }
        return out
    }

    /// A one-line message a person can act on: "ports[0].internal: expected a number, found a string".
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            let path = render(context.codingPath + [key])
            return "missing required parameter '\(path)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = render(context.codingPath)
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

final class JSONValueDecoding: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let tracker: KeyTracker?
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(value: JSONValue, codingPath: [any CodingKey], tracker: KeyTracker?) {
        self.value = value
        self.codingPath = codingPath
        self.tracker = tracker
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw DecodingError.typeMismatch([String: JSONValue].self, .init(
                codingPath: codingPath, debugDescription: "expected an object, found \(value.kindName)"))
        }
        let slot = tracker?.register(path: codingPath, members: members)
        return KeyedDecodingContainer(KeyedReader<Key>(members: members, codingPath: codingPath, tracker: tracker, slot: slot))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw DecodingError.typeMismatch([JSONValue].self, .init(
                codingPath: codingPath, debugDescription: "expected an array, found \(value.kindName)"))
        }
        return UnkeyedReader(elements: elements, codingPath: codingPath, tracker: tracker)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleReader(value: value, codingPath: codingPath, tracker: tracker)
    }
}

/// Conversions shared by the three container kinds.
enum Scalar {
    static func mismatch(_ type: Any.Type, _ what: String, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
        DecodingError.typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(what), found \(value.kindName)"))
    }

    static func bool(_ value: JSONValue, _ path: [any CodingKey]) throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch(Bool.self, "a boolean", value, path) }
        return b
    }

    static func string(_ value: JSONValue, _ path: [any CodingKey]) throws -> String {
        guard case .string(let s) = value else { throw mismatch(String.self, "a string", value, path) }
        return s
    }

    static func double(_ value: JSONValue, _ path: [any CodingKey]) throws -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw mismatch(Double.self, "a number", value, path)
        }
    }

    static func integer<T: FixedWidthInteger>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
        let result: T?
        switch value {
        case .int(let i): result = T(exactly: i)
        case .double(let d): result = T(exactly: d)
        default: throw mismatch(T.self, "an integer", value, path)
        }
        guard let result else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(value) is not a valid \(T.self)"))
        }
        return result
    }

    static func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey], _ tracker: KeyTracker?) throws -> T {
        // Skip the Decoder round trip for the common leaf types.
        if T.self == String.self { return try string(value, path) as! T }
        if T.self == Int.self { return try integer(Int.self, value, path) as! T }
        if T.self == Bool.self { return try bool(value, path) as! T }
        if T.self == JSONValue.self { return value as! T }
        return try T(from: JSONValueDecoding(value: value, codingPath: path, tracker: tracker))
    }
}

struct KeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]
    let tracker: KeyTracker?
    let slot: Int?

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func value(_ key: Key) throws -> JSONValue {
        if let slot { tracker?.use(key.stringValue, in: slot) }
        guard let v = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing key \(key.stringValue)"))
        }
        return v
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool {
        if let slot { tracker?.use(key.stringValue, in: slot) }
        return members[key.stringValue]?.isNull ?? true
    }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try Scalar.bool(value(key), path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try Scalar.string(value(key), path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try Scalar.double(value(key), path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try Scalar.double(value(key), path(key))) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try Scalar.integer(type, value(key), path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try Scalar.integer(type, value(key), path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try Scalar.integer(type, value(key), path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try Scalar.integer(type, value(key), path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try Scalar.integer(type, value(key), path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try Scalar.integer(type, value(key), path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try Scalar.integer(type, value(key), path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try Scalar.integer(type, value(key), path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try Scalar.integer(type, value(key), path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try Scalar.integer(type, value(key), path(key)) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try Scalar.decode(type, value(key), path(key), tracker)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONValueDecoding(value: value(key), codingPath: path(key), tracker: tracker).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoding(value: value(key), codingPath: path(key), tracker: tracker).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder {
        let key = AnyCodingKey("super")
        if let slot { tracker?.use("super", in: slot) }
        return JSONValueDecoding(value: members["super"] ?? .null, codingPath: codingPath + [key], tracker: tracker)
    }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        if let slot { tracker?.use(key.stringValue, in: slot) }
        return JSONValueDecoding(value: members[key.stringValue] ?? .null, codingPath: path(key), tracker: tracker)
    }
}

struct UnkeyedReader: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    let tracker: KeyTracker?
    var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey], tracker: KeyTracker?) {
        self.elements = elements
        self.codingPath = codingPath
        self.tracker = tracker
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next(_ type: Any.Type) throws -> (JSONValue, [any CodingKey]) {
        let path = codingPath + [AnyCodingKey(intValue: currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "the array has only \(elements.count) elements"))
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if elements[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool { let (v, p) = try next(type); return try Scalar.bool(v, p) }
    mutating func decode(_ type: String.Type) throws -> String { let (v, p) = try next(type); return try Scalar.string(v, p) }
    mutating func decode(_ type: Double.Type) throws -> Double { let (v, p) = try next(type); return try Scalar.double(v, p) }
    mutating func decode(_ type: Float.Type) throws -> Float { let (v, p) = try next(type); return Float(try Scalar.double(v, p)) }
    mutating func decode(_ type: Int.Type) throws -> Int { let (v, p) = try next(type); return try Scalar.integer(type, v, p) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { let (v, p) = try next(type); return try Scalar.integer(type, v, p) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let (v, p) = try next(type); return try Scalar.integer(type, v, p) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (v, p) = try next(type)
        return try Scalar.decode(type, v, p, tracker)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (v, p) = try next([String: JSONValue].self)
        return try JSONValueDecoding(value: v, codingPath: p, tracker: tracker).container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (v, p) = try next([JSONValue].self)
        return try JSONValueDecoding(value: v, codingPath: p, tracker: tracker).unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder {
        let (v, p) = try next(JSONValue.self)
        return JSONValueDecoding(value: v, codingPath: p, tracker: tracker)
    }
}

struct SingleReader: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let tracker: KeyTracker?

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try Scalar.bool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try Scalar.string(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try Scalar.double(value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { Float(try Scalar.double(value, codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try Scalar.integer(type, value, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Scalar.integer(type, value, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Scalar.integer(type, value, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Scalar.integer(type, value, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Scalar.integer(type, value, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try Scalar.integer(type, value, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Scalar.integer(type, value, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Scalar.integer(type, value, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Scalar.integer(type, value, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Scalar.integer(type, value, codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try Scalar.decode(type, value, codingPath, tracker) }
}
