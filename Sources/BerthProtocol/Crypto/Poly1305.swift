/// The Poly1305 one-time authenticator (RFC 8439 section 2.5): a 32-byte one-time key `(r, s)`, the
/// tag `((sum of blocks times r^i) mod 2^130 - 5) + s mod 2^128`.
///
/// The accumulator and `r` are five 26-bit limbs in 32-bit words, so every product fits 64 bits
/// (poly1305-donna's layout); the final reduction picks `h` or `h - p` with a mask, not a branch.
public struct Poly1305: Sendable {
    public static let keyByteCount = 32
    public static let tagByteCount = 16

    private let r0, r1, r2, r3, r4: UInt32
    /// `5 * r1 ... 5 * r4`: 2^130 = 5 (mod p), so limbs that overflow 2^130 fold back times five.
    private let s1, s2, s3, s4: UInt32
    private let pad0, pad1, pad2, pad3: UInt32
    private var h0: UInt32 = 0, h1: UInt32 = 0, h2: UInt32 = 0, h3: UInt32 = 0, h4: UInt32 = 0

    /// The key as eight little-endian words: `r` (clamped here) then `s`.
    init(_ t0: UInt32, _ t1: UInt32, _ t2: UInt32, _ t3: UInt32, _ p0: UInt32, _ p1: UInt32, _ p2: UInt32, _ p3: UInt32) {
        // r &= 0x0ffffffc0ffffffc0ffffffc0fffffff, split into 26-bit limbs.
        r0 = t0 & 0x3ff_ffff
        r1 = UInt32(truncatingIfNeeded: (UInt64(t1) << 32 | UInt64(t0)) >> 26) & 0x3ff_ff03
        r2 = UInt32(truncatingIfNeeded: (UInt64(t2) << 32 | UInt64(t1)) >> 20) & 0x3ff_c0ff
        r3 = UInt32(truncatingIfNeeded: (UInt64(t3) << 32 | UInt64(t2)) >> 14) & 0x3f0_3fff
        r4 = (t3 >> 8) & 0x00f_ffff
        s1 = r1 &* 5; s2 = r2 &* 5; s3 = r3 &* 5; s4 = r4 &* 5
        pad0 = p0; pad1 = p1; pad2 = p2; pad3 = p3
    }

    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count == Poly1305.keyByteCount else {
            throw CryptoError(.invalidLength, "Poly1305 key of \(key.count) bytes; it takes 32")
        }
        self.init(loadLittleEndian32(key, 0), loadLittleEndian32(key, 4), loadLittleEndian32(key, 8), loadLittleEndian32(key, 12),
                  loadLittleEndian32(key, 16), loadLittleEndian32(key, 20), loadLittleEndian32(key, 24), loadLittleEndian32(key, 28))
    }

    /// The tag of a whole message (RFC 8439 section 2.5.1: a short last block gets a 0x01 byte after it).
    public static func authenticate(message: [UInt8], key: [UInt8]) throws(CryptoError) -> [UInt8] {
        var mac = try Poly1305(key: key)
        let whole = message.count & ~15
        mac.absorbBlocks(message, from: 0, to: whole)
        if whole < message.count {
            var last = [UInt8](repeating: 0, count: 16)
            for i in whole..<message.count { last[i - whole] = message[i] }
            last[message.count - whole] = 1
            mac.block(loadLittleEndian32(last, 0), loadLittleEndian32(last, 4), loadLittleEndian32(last, 8),
                      loadLittleEndian32(last, 12), highBit: 0)
        }
        return mac.finalize()
    }

    /// `bytes[start..<end]` as 16-byte blocks, the last one padded with zeros to 16 bytes: the AEAD's
    /// layout (RFC 8439 section 2.8), where padding is part of the authenticated data.
    mutating func absorbZeroPadded(_ bytes: [UInt8], from start: Int, to end: Int) {
        let whole = start + ((end - start) & ~15)
        absorbBlocks(bytes, from: start, to: whole)
        guard whole < end else { return }
        var words: SIMD4<UInt32> = .zero
        for i in whole..<end { words[(i - whole) >> 2] |= UInt32(bytes[i]) << (UInt32((i - whole) & 3) * 8) }
        block(words[0], words[1], words[2], words[3], highBit: 1 << 24)
    }

    /// Whole 16-byte blocks of `bytes[start..<end]`; `end - start` is a multiple of 16.
    mutating func absorbBlocks(_ bytes: [UInt8], from start: Int, to end: Int) {
        var offset = start
        while offset < end {
            block(loadLittleEndian32(bytes, offset), loadLittleEndian32(bytes, offset + 4),
                  loadLittleEndian32(bytes, offset + 8), loadLittleEndian32(bytes, offset + 12), highBit: 1 << 24)
            offset += 16
        }
    }

    /// `h = (h + block) * r mod 2^130 - 5`, reduced only partially (limbs stay below 2^27).
    /// `highBit` is 2^128 as seen by the top limb: set for a full block, clear for a short last one.
    @inline(__always)
    mutating func block(_ m0: UInt32, _ m1: UInt32, _ m2: UInt32, _ m3: UInt32, highBit: UInt32) {
        let mask: UInt32 = 0x3ff_ffff
        h0 &+= m0 & mask
        h1 &+= UInt32(truncatingIfNeeded: (UInt64(m1) << 32 | UInt64(m0)) >> 26) & mask
        h2 &+= UInt32(truncatingIfNeeded: (UInt64(m2) << 32 | UInt64(m1)) >> 20) & mask
        h3 &+= UInt32(truncatingIfNeeded: (UInt64(m3) << 32 | UInt64(m2)) >> 14) & mask
        h4 &+= (m3 >> 8) | highBit

        let a0 = UInt64(h0), a1 = UInt64(h1), a2 = UInt64(h2), a3 = UInt64(h3), a4 = UInt64(h4)
        let b0 = UInt64(r0), b1 = UInt64(r1), b2 = UInt64(r2), b3 = UInt64(r3), b4 = UInt64(r4)
        let c1 = UInt64(s1), c2 = UInt64(s2), c3 = UInt64(s3), c4 = UInt64(s4)
        let d0 = a0 &* b0 &+ a1 &* c4 &+ a2 &* c3 &+ a3 &* c2 &+ a4 &* c1
        var d1 = a0 &* b1 &+ a1 &* b0 &+ a2 &* c4 &+ a3 &* c3 &+ a4 &* c2
        var d2 = a0 &* b2 &+ a1 &* b1 &+ a2 &* b0 &+ a3 &* c4 &+ a4 &* c3
        var d3 = a0 &* b3 &+ a1 &* b2 &+ a2 &* b1 &+ a3 &* b0 &+ a4 &* c4
        var d4 = a0 &* b4 &+ a1 &* b3 &+ a2 &* b2 &+ a3 &* b1 &+ a4 &* b0

        d1 &+= d0 >> 26; h0 = UInt32(truncatingIfNeeded: d0) & mask
        d2 &+= d1 >> 26; h1 = UInt32(truncatingIfNeeded: d1) & mask
        d3 &+= d2 >> 26; h2 = UInt32(truncatingIfNeeded: d2) & mask
        d4 &+= d3 >> 26; h3 = UInt32(truncatingIfNeeded: d3) & mask
        h4 = UInt32(truncatingIfNeeded: d4) & mask
        h0 &+= UInt32(truncatingIfNeeded: d4 >> 26) &* 5
        h1 &+= h0 >> 26; h0 &= mask
    }

    /// The 16-byte tag: `h` fully reduced mod 2^130 - 5, plus `s` mod 2^128.
    public func finalize() -> [UInt8] {
        var tag: [UInt8] = []
        tag.reserveCapacity(Poly1305.tagByteCount)
        appendTag(to: &tag)
        return tag
    }

    /// The tag appended to `bytes`: the AEAD writes it behind the ciphertext with no array of its own.
    func appendTag(to bytes: inout [UInt8]) {
        let words = tagWords()
        for i in 0..<4 {
            for shift in stride(from: UInt32(0), to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: words[i] >> shift)) }
        }
    }

    /// Whether `bytes[offset..<offset + 16]` is the tag, looking at every byte whatever the others are.
    func tagMatches(_ bytes: [UInt8], at offset: Int) -> Bool {
        let words = tagWords()
        var difference: UInt8 = 0
        for i in 0..<16 {
            difference |= UInt8(truncatingIfNeeded: words[i >> 2] >> (UInt32(i & 3) * 8)) ^ bytes[offset + i]
        }
        return difference == 0
    }

    /// The tag as four little-endian words.
    private func tagWords() -> SIMD4<UInt32> {
        let mask: UInt32 = 0x3ff_ffff
        var h0 = h0, h1 = h1, h2 = h2, h3 = h3, h4 = h4
        h2 &+= h1 >> 26; h1 &= mask
        h3 &+= h2 >> 26; h2 &= mask
        h4 &+= h3 >> 26; h3 &= mask
        h0 &+= (h4 >> 26) &* 5; h4 &= mask
        h1 &+= h0 >> 26; h0 &= mask

        // g = h + 5 - 2^130; keep g when that did not go negative (h >= p), else h.
        var g0 = h0 &+ 5
        var g1 = h1 &+ (g0 >> 26); g0 &= mask
        var g2 = h2 &+ (g1 >> 26); g1 &= mask
        var g3 = h3 &+ (g2 >> 26); g2 &= mask
        var g4 = h4 &+ (g3 >> 26) &- (1 << 26); g3 &= mask
        let keepG = (g4 >> 31) &- 1
        g0 &= keepG; g1 &= keepG; g2 &= keepG; g3 &= keepG; g4 &= keepG
        h0 = (h0 & ~keepG) | g0; h1 = (h1 & ~keepG) | g1; h2 = (h2 & ~keepG) | g2
        h3 = (h3 & ~keepG) | g3; h4 = (h4 & ~keepG) | g4

        // Back to four 32-bit words, then + s with the carry running through.
        let w0 = h0 | h1 << 26
        let w1 = h1 >> 6 | h2 << 20
        let w2 = h2 >> 12 | h3 << 14
        let w3 = h3 >> 18 | h4 << 8
        var f = UInt64(w0) &+ UInt64(pad0)
        let t0 = UInt32(truncatingIfNeeded: f)
        f = UInt64(w1) &+ UInt64(pad1) &+ (f >> 32)
        let t1 = UInt32(truncatingIfNeeded: f)
        f = UInt64(w2) &+ UInt64(pad2) &+ (f >> 32)
        let t2 = UInt32(truncatingIfNeeded: f)
        f = UInt64(w3) &+ UInt64(pad3) &+ (f >> 32)
        let t3 = UInt32(truncatingIfNeeded: f)
        return SIMD4(t0, t1, t2, t3)
    }
}
