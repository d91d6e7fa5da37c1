/// The ChaCha20 stream cipher (RFC 8439 sections 2.1-2.4): a 256-bit key, a 96-bit nonce and a 32-bit
/// block counter, so one key and nonce give at most 2^32 blocks of 64 bytes.
///
/// Additions, XORs and rotations only, on local words: no table, no branch on key or data, so its
/// timing says nothing about them. The state stays in sixteen locals and the keystream is XORed into
/// the caller's array in place, so a message costs no allocation per block.
public struct ChaCha20: Sendable {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let blockByteCount = 64

    private let k0, k1, k2, k3, k4, k5, k6, k7: UInt32
    private let n0, n1, n2: UInt32

    public init(key: [UInt8], nonce: [UInt8]) throws(CryptoError) {
        guard key.count == ChaCha20.keyByteCount else {
            throw CryptoError(.invalidLength, "ChaCha20 key of \(key.count) bytes; it takes 32")
        }
        guard nonce.count == ChaCha20.nonceByteCount else {
            throw CryptoError(.invalidLength, "ChaCha20 nonce of \(nonce.count) bytes; it takes 12")
        }
        k0 = loadLittleEndian32(key, 0); k1 = loadLittleEndian32(key, 4)
        k2 = loadLittleEndian32(key, 8); k3 = loadLittleEndian32(key, 12)
        k4 = loadLittleEndian32(key, 16); k5 = loadLittleEndian32(key, 20)
        k6 = loadLittleEndian32(key, 24); k7 = loadLittleEndian32(key, 28)
        n0 = loadLittleEndian32(nonce, 0); n1 = loadLittleEndian32(nonce, 4); n2 = loadLittleEndian32(nonce, 8)
    }

    /// The 64 keystream bytes of block `counter` (RFC 8439 section 2.3).
    public func block(counter: UInt32) -> [UInt8] {
        let words = keystream(counter: counter)
        var out: [UInt8] = []
        out.reserveCapacity(ChaCha20.blockByteCount)
        for i in 0..<16 {
            for shift in stride(from: UInt32(0), to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: words[i] >> shift)) }
        }
        return out
    }

    /// Encrypts (or decrypts: the same XOR) `data[start...]` in place with the keystream from block
    /// `counter` on. A message that would need a block past 2^32 - 1 is refused before any byte
    /// changes: the counter would wrap and repeat keystream, which gives away the XOR of two plaintexts.
    public func xor(_ data: inout [UInt8], from start: Int = 0, counter: UInt32) throws(CryptoError) {
        precondition(start >= 0 && start <= data.count, "start outside the data")
        let byteCount = data.count - start
        let blocks = (UInt64(byteCount) + 63) / 64
        guard UInt64(counter) + blocks <= 1 << 32 else {
            throw CryptoError(.limitExceeded, "\(byteCount) bytes from block \(counter) would wrap the 32-bit block counter")
        }
        var counter = counter
        var offset = start
        let end = data.count
        while end - offset >= ChaCha20.blockByteCount {
            let ks = keystream(counter: counter)
            for i in 0..<16 {
                let o = offset + 4 * i
                let word = ks[i]
                data[o] ^= UInt8(truncatingIfNeeded: word)
                data[o + 1] ^= UInt8(truncatingIfNeeded: word >> 8)
                data[o + 2] ^= UInt8(truncatingIfNeeded: word >> 16)
                data[o + 3] ^= UInt8(truncatingIfNeeded: word >> 24)
            }
            counter &+= 1
            offset += ChaCha20.blockByteCount
        }
        if offset < end {
            let ks = keystream(counter: counter)
            for i in 0..<(end - offset) {
                data[offset + i] ^= UInt8(truncatingIfNeeded: ks[i >> 2] >> (UInt32(i & 3) * 8))
            }
        }
    }

    /// The block function: twenty rounds over the state, then the state added back in.
    func keystream(counter: UInt32) -> SIMD16<UInt32> {
        var x0: UInt32 = 0x6170_7865, x1: UInt32 = 0x3320_646e, x2: UInt32 = 0x7962_2d32, x3: UInt32 = 0x6b20_6574
        var x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7
        var x12 = counter, x13 = n0, x14 = n1, x15 = n2
        for _ in 0..<10 {
            ChaCha20.quarterRound(&x0, &x4, &x8, &x12)
            ChaCha20.quarterRound(&x1, &x5, &x9, &x13)
            ChaCha20.quarterRound(&x2, &x6, &x10, &x14)
            ChaCha20.quarterRound(&x3, &x7, &x11, &x15)
            ChaCha20.quarterRound(&x0, &x5, &x10, &x15)
            ChaCha20.quarterRound(&x1, &x6, &x11, &x12)
            ChaCha20.quarterRound(&x2, &x7, &x8, &x13)
            ChaCha20.quarterRound(&x3, &x4, &x9, &x14)
        }
        return SIMD16(
            x0 &+ 0x6170_7865, x1 &+ 0x3320_646e, x2 &+ 0x7962_2d32, x3 &+ 0x6b20_6574,
            x4 &+ k0, x5 &+ k1, x6 &+ k2, x7 &+ k3, x8 &+ k4, x9 &+ k5, x10 &+ k6, x11 &+ k7,
            x12 &+ counter, x13 &+ n0, x14 &+ n1, x15 &+ n2)
    }

    /// RFC 8439 section 2.1.
    @inline(__always)
    public static func quarterRound(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
        a &+= b; d ^= a; d = d << 16 | d >> 16
        c &+= d; b ^= c; b = b << 12 | b >> 20
        a &+= b; d ^= a; d = d << 8 | d >> 24
        c &+= d; b ^= c; b = b << 7 | b >> 25
    }
}

/// The little-endian 32-bit word at `bytes[offset..<offset + 4]`.
@inline(__always)
func loadLittleEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
}
