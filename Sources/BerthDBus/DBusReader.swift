/// Unmarshals values from the wire format, either byte order. Every length, offset and nesting is
/// checked against what is left, so a truncated or hostile message throws and never traps.
struct DBusReader {
    /// Containers (arrays, structs, dict entries, variants) nested deeper than this are refused.
    static let maximumDepth = 64

    let bytes: [UInt8]
    let bigEndian: Bool
    /// Where offset 0 of the alignment grid is (the message's first byte).
    let base: Int
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil, base: Int = 0, bigEndian: Bool = false) {
        self.bytes = bytes
        self.base = base
        self.offset = start
        self.end = end ?? bytes.count
        self.bigEndian = bigEndian
    }

    var isAtEnd: Bool { offset >= end }

    func fail(_ why: String) -> DBusProtocolError {
        DBusProtocolError("\(why) at byte \(offset - base)")
    }

    mutating func align(_ alignment: Int) throws {
        let padded = base + (offset - base + alignment - 1) / alignment * alignment
        guard padded <= end else { throw fail("message ends inside padding") }
        for i in offset..<padded where bytes[i] != 0 { throw fail("non-zero padding byte") }
        offset = padded
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, end - offset >= count else { throw fail("message truncated (needed \(count) more bytes)") }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func readInteger<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try align(MemoryLayout<T>.size)
        let raw = try take(MemoryLayout<T>.size)
        var value = T.zero
        for (i, b) in raw.enumerated() {
            let shift = bigEndian ? (raw.count - 1 - i) * 8 : i * 8
            value |= T(truncatingIfNeeded: b) << shift
        }
        return value
    }

    mutating func readByte() throws -> UInt8 { try take(1).first! }

    mutating func readValues(_ types: [DBusType]) throws -> [DBusValue] {
        try types.map { try read($0, depth: 0) }
    }

    mutating func read(_ type: DBusType, depth: Int) throws -> DBusValue {
        switch type {
        case .byte: return .byte(try readByte())
        case .boolean:
            let v = try readInteger(UInt32.self)
            guard v <= 1 else { throw fail("boolean is \(v), not 0 or 1") }
            return .boolean(v == 1)
        case .int16: return .int16(try readInteger(Int16.self))
        case .uint16: return .uint16(try readInteger(UInt16.self))
        case .int32: return .int32(try readInteger(Int32.self))
        case .uint32: return .uint32(try readInteger(UInt32.self))
        case .int64: return .int64(try readInteger(Int64.self))
        case .uint64: return .uint64(try readInteger(UInt64.self))
        case .double: return .double(Double(bitPattern: try readInteger(UInt64.self)))
        case .unixFD: return .unixFD(try readInteger(UInt32.self))
        case .string: return .string(try readString())
        case .objectPath:
            let path = try readString()
            do { try DBusNames.checkObjectPath(path) } catch let error as DBusProtocolError { throw fail(error.message) }
            return .objectPath(path)
        case .signature:
            let text = try readSignature()
            do { _ = try DBusType.parse(text) } catch let error as DBusProtocolError { throw fail(error.message) }
            return .signature(text)
        case .array(let element):
            guard depth < Self.maximumDepth else { throw fail("containers nested deeper than \(Self.maximumDepth)") }
            let length = Int(try readInteger(UInt32.self))
            guard length <= DBusWriter.maximumArrayLength else { throw fail("array length \(length) over the limit") }
            try align(element.alignment)
            guard end - offset >= length else { throw fail("array of \(length) bytes overruns the message") }
            let arrayEnd = offset + length
            var values: [DBusValue] = []
            while offset < arrayEnd {
                values.append(try read(element, depth: depth + 1))
            }
            guard offset == arrayEnd else { throw fail("array elements overrun the array's length") }
            return .array(element: element, values)
        case .structure(let fields):
            guard depth < Self.maximumDepth else { throw fail("containers nested deeper than \(Self.maximumDepth)") }
            try align(8)
            return .structure(try fields.map { try read($0, depth: depth + 1) })
        case .dictEntry(let key, let value):
            guard depth < Self.maximumDepth else { throw fail("containers nested deeper than \(Self.maximumDepth)") }
            try align(8)
            return .dictEntry(key: try read(key, depth: depth + 1), value: try read(value, depth: depth + 1))
        case .variant:
            guard depth < Self.maximumDepth else { throw fail("containers nested deeper than \(Self.maximumDepth)") }
            let text = try readSignature()
            let inner: DBusType
            do { inner = try DBusType.parseSingle(text) } catch let error as DBusProtocolError { throw fail(error.message) }
            return .variant(try read(inner, depth: depth + 1))
        }
    }

    mutating func readString() throws -> String {
        let length = Int(try readInteger(UInt32.self))
        let raw = try take(length)
        guard try readByte() == 0 else { throw fail("string is not NUL-terminated") }
        return try decodeUTF8(raw)
    }

    mutating func readSignature() throws -> String {
        let length = Int(try readByte())
        let raw = try take(length)
        guard try readByte() == 0 else { throw fail("signature is not NUL-terminated") }
        return try decodeUTF8(raw)
    }

    private func decodeUTF8(_ raw: ArraySlice<UInt8>) throws -> String {
        guard !raw.contains(0) else { throw fail("string contains NUL") }
        guard let text = String(validating: raw, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return text
    }
}
