/// Why a secure channel ended.
public enum ChannelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A record header announced a length outside 17...16400: refused before anything is allocated.
    case badRecordLength(Int)
    /// A record did not open under its key and the expected counter: flipped, replayed, reordered,
    /// dropped or injected bytes.
    case unauthentic
    /// The 64-bit counter is used up; the connection ends rather than reuse a nonce.
    case exhausted
    /// The cipher refused to seal (a programming error: records are bounded far below its limits).
    case sealingFailed(String)

    public var description: String {
        switch self {
        case .badRecordLength(let n): return "a channel record announced \(n) bytes (allowed: \(ChannelRecord.minSealedByteCount)...\(ChannelRecord.maxSealedByteCount))"
        case .unauthentic: return "a channel record failed authentication (tampered, replayed, reordered, dropped or injected)"
        case .exhausted: return "the channel's record counter is used up"
        case .sealingFailed(let why): return "cannot seal a channel record: \(why)"
        }
    }
}

/// The record format: a 4-byte big-endian length of the body, then the body, ChaCha20-Poly1305
/// (RFC 8439) of 1 to 16384 plaintext bytes with the 4 length bytes as associated data, under the
/// direction's key and the nonce 0x00000000 || counter (64-bit little-endian), the counter counting
/// that direction's records from 0. Binary rather than a line of base64: no third larger and no
/// extra pass, and the length comes first, so a reader refuses an oversized record from 4 bytes.
/// Records carry the plaintext byte stream (JSON lines); their boundaries need not match the lines'.
public enum ChannelRecord {
    public static let headerByteCount = 4
    public static let tagByteCount = 16
    public static let maxPlaintextByteCount = 16384
    public static let minSealedByteCount = 1 + tagByteCount
    public static let maxSealedByteCount = maxPlaintextByteCount + tagByteCount

    static func nonce(_ counter: UInt64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { nonce[4 + i] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * i)) }
        return nonce
    }
}

/// One direction's sealing side: every record under the next counter value, never one twice.
public struct RecordSealer: Sendable {
    private let key: [UInt8]
    private var counter: UInt64 = 0

    public init(key: [UInt8]) { self.key = key }

    /// Appends `plaintext` to `out` as records of at most 16384 bytes each (nothing for no bytes).
    public mutating func seal(_ plaintext: [UInt8], into out: inout [UInt8]) throws(ChannelError) {
        var start = 0
        while start < plaintext.count {
            guard counter < UInt64.max else { throw .exhausted }
            let end = min(plaintext.count, start + ChannelRecord.maxPlaintextByteCount)
            let length = end - start + ChannelRecord.tagByteCount
            let header: [UInt8] = [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                                   UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
            let body = start == 0 && end == plaintext.count ? plaintext : Array(plaintext[start..<end])
            out += header
            do { out += try ChaChaPoly.seal(key: key, nonce: ChannelRecord.nonce(counter), aad: header, plaintext: body) } catch {
                throw .sealingFailed("\(error)")
            }
            counter += 1
            start = end
        }
    }

    /// `plaintext` as records (see `seal(_:into:)`).
    public mutating func seal(_ plaintext: [UInt8]) throws(ChannelError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plaintext.count + 20 * (1 + plaintext.count / ChannelRecord.maxPlaintextByteCount))
        try seal(plaintext, into: &out)
        return out
    }
}

/// One direction's opening side: takes the byte stream in any chunks, opens each whole record under
/// the next counter value and hands out its plaintext. It holds at most one partial record. After a
/// failure it opens nothing more.
public struct RecordOpener: Sendable {
    private let key: [UInt8]
    private var counter: UInt64 = 0
    private var partial: [UInt8] = []
    private var failed = false

    public init(key: [UInt8]) { self.key = key }

    /// Bytes of an unfinished record held (an end of stream with some is a truncated record).
    public var bufferedByteCount: Int { partial.count }

    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, onPlaintext: ([UInt8]) throws -> Void) throws {
        guard !failed else { throw ChannelError.unauthentic }
        do {
            var start = 0
            while start < chunk.count {
                // A whole record inside the chunk, nothing held: opened straight from the chunk
                // (the common case; it saves copying the record into `partial` first).
                if partial.isEmpty, chunk.count - start >= ChannelRecord.headerByteCount {
                    let length = chunk[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
                    guard (ChannelRecord.minSealedByteCount...ChannelRecord.maxSealedByteCount).contains(length) else {
                        throw ChannelError.badRecordLength(length)
                    }
                    let end = start + ChannelRecord.headerByteCount + length
                    if end <= chunk.count {
                        let plaintext = try open(header: Array(chunk[start..<start + 4]), body: Array(chunk[start + 4..<end]))
                        start = end
                        try onPlaintext(plaintext)
                        continue
                    }
                }
                // The header: from the held bytes and the chunk.
                if partial.count < ChannelRecord.headerByteCount {
                    let take = min(ChannelRecord.headerByteCount - partial.count, chunk.count - start)
                    partial.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<start + take]))
                    start += take
                    guard partial.count == ChannelRecord.headerByteCount else { return }
                }
                let length = partial[0..<4].reduce(0) { $0 << 8 | Int($1) }
                guard (ChannelRecord.minSealedByteCount...ChannelRecord.maxSealedByteCount).contains(length) else {
                    throw ChannelError.badRecordLength(length)
                }
                if partial.count == ChannelRecord.headerByteCount { partial.reserveCapacity(ChannelRecord.headerByteCount + length) }
                let take = min(ChannelRecord.headerByteCount + length - partial.count, chunk.count - start)
                partial.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<start + take]))
                start += take
                guard partial.count == ChannelRecord.headerByteCount + length else { return }
                let plaintext = try open(header: Array(partial[0..<4]), body: Array(partial[4...]))
                partial.removeAll(keepingCapacity: true)
                try onPlaintext(plaintext)
            }
        } catch {
            failed = true
            partial = []
            throw error
        }
    }

    /// Opens one record under the next counter value.
    private mutating func open(header: [UInt8], body: [UInt8]) throws(ChannelError) -> [UInt8] {
        guard counter < UInt64.max else { throw .exhausted }
        let plaintext: [UInt8]
        do { plaintext = try ChaChaPoly.open(key: key, nonce: ChannelRecord.nonce(counter), aad: header, sealed: body) } catch {
            throw .unauthentic
        }
        counter += 1
        return plaintext
    }
}
