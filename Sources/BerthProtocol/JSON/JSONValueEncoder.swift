/// Encodes `Encodable` values to a `JSONValue` (then `serialized()` gives the bytes).
///
/// Optionals encoded with `encodeIfPresent` (the synthesized default) are left out rather than written
/// as `null`. Non-finite doubles and `UInt64` values above `Int64.max` have no exact JSON form here and
/// are refused with an `EncodingError`.
public struct JSONValueEncoder: Sendable {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if let v = value as? JSONValue { return v }
        let root = EncodingNode()
        try value.encode(to: JSONValueEncoding(node: root, codingPath: []))
        return root.resolve()
    }
}

/// One value under construction; containers hold nodes by reference so nested containers can keep
/// writing after they are handed out.
final class EncodingNode {
    enum Kind { case empty, leaf, object, array }
    var kind: Kind = .empty
    var leaf: JSONValue = .null
    var members: [String: EncodingNode] = [:]
    var elements: [EncodingNode] = []

    init() {}
    init(_ value: JSONValue) {
        kind = .leaf
        leaf = value
    }

    func makeObject() {
        if kind != .object {
            kind = .object
            members = [:]
        }
    }

    func makeArray() {
        if kind != .array {
            kind = .array
            elements = []
        }
    }

    func resolve() -> JSONValue {
        switch kind {
        case .empty: return .object([:])  // a type that encodes nothing, as JSONEncoder does
        case .leaf: return leaf
        case .object: return .object(members.mapValues { $0.resolve() })
        case .array: return .array(elements.map { $0.resolve() })
        }
    }
}

final class JSONValueEncoding: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: EncodingNode, codingPath: [any CodingKey]) {
        self.node = node
        self.codingPath = codingPath
    }

    func store(_ value: JSONValue) {
        node.kind = .leaf
        node.leaf = value
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedWriter<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedWriter(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleWriter(encoder: self)
    }
}

/// Leaf conversions shared by the containers.
enum EncodeScalar {
    static func double(_ d: Double, _ path: [any CodingKey]) throws -> JSONValue {
        guard d.isFinite else {
            throw EncodingError.invalidValue(d, .init(codingPath: path, debugDescription: "\(d) has no JSON representation"))
        }
        return .double(d)
    }

    static func integer<T: BinaryInteger>(_ v: T, _ path: [any CodingKey]) throws -> JSONValue {
        guard let i = Int64(exactly: v) else {
            throw EncodingError.invalidValue(v, .init(codingPath: path, debugDescription: "\(v) does not fit in a 64-bit signed integer"))
        }
        return .int(i)
    }

    /// Encodes any value into `node`, short-circuiting the leaf types.
    static func encode<T: Encodable>(_ value: T, into node: EncodingNode, _ path: [any CodingKey]) throws {
        switch value {
        case let v as JSONValue: node.kind = .leaf; node.leaf = v
        case let v as String: node.kind = .leaf; node.leaf = .string(v)
        case let v as Bool: node.kind = .leaf; node.leaf = .bool(v)
        case let v as Int: node.kind = .leaf; node.leaf = .int(Int64(v))
        default: try value.encode(to: JSONValueEncoding(node: node, codingPath: path))
        }
    }
}

struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue, _ key: Key) { node.members[key.stringValue] = EncodingNode(value) }
    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(try EncodeScalar.double(value, path(key)), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(try EncodeScalar.double(Double(value), path(key)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.int(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(try EncodeScalar.integer(value, path(key)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(try EncodeScalar.integer(value, path(key)), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let child = EncodingNode()
        try EncodeScalar.encode(value, into: child, path(key))
        node.members[key.stringValue] = child
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodingNode()
        node.members[key.stringValue] = child
        return JSONValueEncoding(node: child, codingPath: path(key)).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = EncodingNode()
        node.members[key.stringValue] = child
        return JSONValueEncoding(node: child, codingPath: path(key)).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder {
        let child = EncodingNode()
        node.members["super"] = child
        return JSONValueEncoding(node: child, codingPath: codingPath + [AnyCodingKey("super")])
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = EncodingNode()
        node.members[key.stringValue] = child
        return JSONValueEncoding(node: child, codingPath: path(key))
    }
}

struct UnkeyedWriter: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int { node.elements.count }

    private func nextPath() -> [any CodingKey] { codingPath + [AnyCodingKey(intValue: node.elements.count)] }
    private func append(_ value: JSONValue) { node.elements.append(EncodingNode(value)) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(try EncodeScalar.double(value, nextPath())) }
    mutating func encode(_ value: Float) throws { append(try EncodeScalar.double(Double(value), nextPath())) }
    mutating func encode(_ value: Int) throws { append(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { append(.int(value)) }
    mutating func encode(_ value: UInt64) throws { append(try EncodeScalar.integer(value, nextPath())) }
    mutating func encode(_ value: UInt) throws { append(try EncodeScalar.integer(value, nextPath())) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let child = EncodingNode()
        try EncodeScalar.encode(value, into: child, nextPath())
        node.elements.append(child)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodingNode()
        let path = nextPath()
        node.elements.append(child)
        return JSONValueEncoding(node: child, codingPath: path).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = EncodingNode()
        let path = nextPath()
        node.elements.append(child)
        return JSONValueEncoding(node: child, codingPath: path).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder {
        let child = EncodingNode()
        let path = nextPath()
        node.elements.append(child)
        return JSONValueEncoding(node: child, codingPath: path)
    }
}

struct SingleWriter: SingleValueEncodingContainer {
    let encoder: JSONValueEncoding
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.store(.null) }
    mutating func encode(_ value: Bool) throws { encoder.store(.bool(value)) }
    mutating func encode(_ value: String) throws { encoder.store(.string(value)) }
    mutating func encode(_ value: Double) throws { encoder.store(try EncodeScalar.double(value, codingPath)) }
    mutating func encode(_ value: Float) throws { encoder.store(try EncodeScalar.double(Double(value), codingPath)) }
    mutating func encode(_ value: Int) throws { encoder.store(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { encoder.store(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { encoder.store(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { encoder.store(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { encoder.store(.int(value)) }
    mutating func encode(_ value: UInt) throws { encoder.store(try EncodeScalar.integer(value, codingPath)) }
    mutating func encode(_ value: UInt8) throws { encoder.store(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { encoder.store(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { encoder.store(.int(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { encoder.store(try EncodeScalar.integer(value, codingPath)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try EncodeScalar.encode(value, into: encoder.node, codingPath)
    }
}
