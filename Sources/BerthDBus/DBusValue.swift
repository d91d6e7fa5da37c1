/// One D-Bus value of any type. Containers carry their element type so an empty array still has a
/// signature (and its element alignment on the wire).
public indirect enum DBusValue: Hashable, Sendable {
    case byte(UInt8)
    case boolean(Bool)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case double(Double)
    case string(String)
    case objectPath(String)
    case signature(String)
    /// An index into the message's out-of-band descriptors (type `h`); descriptors themselves are not
    /// passed by this client.
    case unixFD(UInt32)
    /// An array of values all of type `element` (a dict is an array of `.dictEntry`).
    case array(element: DBusType, [DBusValue])
    case structure([DBusValue])
    case dictEntry(key: DBusValue, value: DBusValue)
    case variant(DBusValue)

    /// The type of this value.
    public var type: DBusType {
        switch self {
        case .byte: .byte
        case .boolean: .boolean
        case .int16: .int16
        case .uint16: .uint16
        case .int32: .int32
        case .uint32: .uint32
        case .int64: .int64
        case .uint64: .uint64
        case .double: .double
        case .string: .string
        case .objectPath: .objectPath
        case .signature: .signature
        case .unixFD: .unixFD
        case .array(let element, _): .array(element)
        case .structure(let fields): .structure(fields.map(\.type))
        case .dictEntry(let key, let value): .dictEntry(key: key.type, value: value.type)
        case .variant: .variant
        }
    }

    /// A dict (`a{KV}`) from pairs, in the given order.
    public static func dict(key: DBusType, value: DBusType, _ pairs: [(DBusValue, DBusValue)]) -> DBusValue {
        .array(element: .dictEntry(key: key, value: value), pairs.map { .dictEntry(key: $0.0, value: $0.1) })
    }

    /// An array of strings (`as`).
    public static func strings(_ values: [String]) -> DBusValue {
        .array(element: .string, values.map { .string($0) })
    }

    // Accessors that return nil for any other case, so callers read replies without a switch.

    /// The text of a string, object path or signature.
    public var stringValue: String? {
        switch self {
        case .string(let s), .objectPath(let s), .signature(let s): s
        case .variant(let inner): inner.stringValue
        default: nil
        }
    }

    /// Any integer that fits in Int64 (looking through a variant).
    public var integerValue: Int64? {
        switch self {
        case .byte(let v): Int64(v)
        case .int16(let v): Int64(v)
        case .uint16(let v): Int64(v)
        case .int32(let v): Int64(v)
        case .uint32(let v): Int64(v)
        case .int64(let v): v
        case .uint64(let v): Int64(exactly: v)
        case .variant(let inner): inner.integerValue
        default: nil
        }
    }

    public var boolValue: Bool? {
        switch self {
        case .boolean(let b): b
        case .variant(let inner): inner.boolValue
        default: nil
        }
    }

    /// The elements of an array (looking through a variant).
    public var arrayValue: [DBusValue]? {
        switch self {
        case .array(_, let values): values
        case .variant(let inner): inner.arrayValue
        default: nil
        }
    }

    /// The fields of a struct.
    public var structValue: [DBusValue]? {
        switch self {
        case .structure(let fields): fields
        case .variant(let inner): inner.structValue
        default: nil
        }
    }

    /// A dict with string keys (`a{sX}`), as `GetAll` returns; later duplicates win.
    public var stringDictValue: [String: DBusValue]? {
        guard let entries = arrayValue else { return nil }
        var result: [String: DBusValue] = [:]
        for entry in entries {
            guard case .dictEntry(let key, let value) = entry, let name = key.stringValue else { return nil }
            result[name] = value
        }
        return result
    }

    /// The value inside a variant, or self.
    public var unwrapped: DBusValue {
        if case .variant(let inner) = self { return inner.unwrapped }
        return self
    }
}
