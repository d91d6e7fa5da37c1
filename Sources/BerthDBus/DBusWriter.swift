/// Marshals values into the little-endian wire format. Offsets (and so alignment) count from the
/// first byte written, which must be 8-aligned in the message: the header's start, or the body's.
struct DBusWriter {
    /// The longest array the specification allows, in bytes (2^26).
    static let maximumArrayLength = 1 << 26

    private(set) var bytes: [UInt8] = []

    init() {}

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    /// Appends `value` little-endian by shifts: no pointer into the value, and (measured side by
    /// side) no slower than copying its bytes out.
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        for i in 0..<MemoryLayout<T>.size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }

    mutating func appendRaw(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }

    mutating func write(_ values: [DBusValue]) throws {
        for value in values { try write(value) }
    }

    mutating func write(_ value: DBusValue) throws {
        pad(to: value.type.alignment)
        switch value {
        case .byte(let v): bytes.append(v)
        case .boolean(let v): append(UInt32(v ? 1 : 0))
        case .int16(let v): append(v)
        case .uint16(let v): append(v)
        case .int32(let v): append(v)
        case .uint32(let v): append(v)
        case .int64(let v): append(v)
        case .uint64(let v): append(v)
        case .double(let v): append(v.bitPattern)
        case .unixFD(let v): append(v)
        case .string(let s):
            try DBusNames.checkString(s)
            writeString(s)
        case .objectPath(let s):
            try DBusNames.checkObjectPath(s)
            writeString(s)
        case .signature(let s):
            _ = try DBusType.parse(s)
            writeSignature(s)
        case .array(let element, let values):
            let lengthAt = bytes.count
            append(UInt32(0))
            // The element alignment's padding comes even for an empty array, and is not counted.
            pad(to: element.alignment)
            let start = bytes.count
            for item in values {
                guard item.type == element else {
                    throw DBusProtocolError("array of '\(element)' holds a value of type '\(item.type)'")
                }
                try write(item)
            }
            let length = bytes.count - start
            guard length <= Self.maximumArrayLength else {
                throw DBusProtocolError("array is \(length) bytes, over the limit of \(Self.maximumArrayLength)")
            }
            for i in 0..<4 { bytes[lengthAt + i] = UInt8(truncatingIfNeeded: UInt32(length) >> (8 * i)) }
        case .structure(let fields):
            guard !fields.isEmpty else { throw DBusProtocolError("a struct needs at least one field") }
            try write(fields)
        case .dictEntry(let key, let value):
            guard key.type.isBasic else { throw DBusProtocolError("a dict key must be a basic type, not '\(key.type)'") }
            try write(key)
            try write(value)
        case .variant(let inner):
            writeSignature(inner.type.signature)
            try write(inner)
        }
    }

    private mutating func writeString(_ s: String) {
        append(UInt32(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
        bytes.append(0)
    }

    private mutating func writeSignature(_ s: String) {
        bytes.append(UInt8(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
        bytes.append(0)
    }
}
