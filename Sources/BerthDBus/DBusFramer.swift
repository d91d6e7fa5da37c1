/// Cuts whole messages out of a byte stream that arrives in arbitrary chunks.
///
/// Feed it every read with `append`, then take messages with `next()` until it returns nil. A header
/// announcing a message over `maximumLength` is an error at once, before its bytes are buffered.
public struct DBusFramer: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    public let maximumLength: Int

    public init(maximumLength: Int = DBusMessage.maximumLength) {
        self.maximumLength = maximumLength
    }

    /// Bytes received but not yet part of a returned message.
    public var bufferedCount: Int { buffer.count - start }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole message's bytes, or nil if more are needed.
    public mutating func nextFrame() throws -> [UInt8]? {
        let available = buffer.count - start
        guard available >= 16 else { return nil }
        let bigEndian: Bool
        switch buffer[start] {
        case UInt8(ascii: "l"): bigEndian = false
        case UInt8(ascii: "B"): bigEndian = true
        default: throw DBusProtocolError("unknown byte order mark \(buffer[start]) in the stream")
        }
        func u32(_ at: Int) -> Int {
            var v = 0
            for i in 0..<4 {
                let b = Int(buffer[start + at + i])
                v |= b << (bigEndian ? (3 - i) * 8 : i * 8)
            }
            return v
        }
        let bodyLength = u32(4)
        let fieldsLength = u32(12)
        let total = 16 + (fieldsLength + 7) / 8 * 8 + bodyLength
        guard total <= maximumLength else {
            throw DBusProtocolError("incoming message of \(total) bytes is over the limit of \(maximumLength)")
        }
        guard available >= total else { return nil }
        defer { start += total }
        return Array(buffer[start..<(start + total)])
    }

    /// The next whole message, decoded, or nil if more bytes are needed.
    public mutating func next() throws -> DBusMessage? {
        guard let frame = try nextFrame() else { return nil }
        return try DBusMessage(decoding: frame)
    }
}
