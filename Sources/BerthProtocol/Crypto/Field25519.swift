/// An element of the field GF(2^255 - 19), the arithmetic under X25519, in five limbs of 51 bits
/// (radix 2^51), so the product of two limbs fits 128 bits and the reduction mod p is a multiply by
/// 19 (2^255 = 19 mod p).
///
/// Every operation runs the same instructions whatever the values: carries are shifts, masks and
/// add-with-carry, never comparisons, and a choice between two elements is a masked swap. Limbs stay
/// below 2^52 after every operation (each one ends with a carry pass), which keeps the column sums
/// of `*` and `squared` below 2^112. Squaring has its own 15-product form (the ladder squares four
/// times per step), and the column sums are two words added with the carry flag: together 3x the
/// speed of a generic multiply with a carry computed from bits. Swift's `UInt128` is as fast
/// optimized but 4x slower in debug builds, where the tests run the vectors.
struct Field25519: Sendable {
    var l0, l1, l2, l3, l4: UInt64

    static let mask51: UInt64 = (1 << 51) - 1
    static let zero = Field25519(l0: 0, l1: 0, l2: 0, l3: 0, l4: 0)
    static let one = Field25519(l0: 1, l1: 0, l2: 0, l3: 0, l4: 0)

    init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3; self.l4 = l4
    }

    /// The little-endian number in `bytes[0..<32]` with its top bit cleared (RFC 7748 section 5:
    /// X25519 masks bit 255 of a u-coordinate). Values from p to 2^255 - 1 are taken mod p.
    init(littleEndian bytes: [UInt8]) {
        let w0 = loadLittleEndian64(bytes, 0), w1 = loadLittleEndian64(bytes, 8)
        let w2 = loadLittleEndian64(bytes, 16), w3 = loadLittleEndian64(bytes, 24)
        l0 = w0 & Field25519.mask51
        l1 = (w0 >> 51 | w1 << 13) & Field25519.mask51
        l2 = (w1 >> 38 | w2 << 26) & Field25519.mask51
        l3 = (w2 >> 25 | w3 << 39) & Field25519.mask51
        l4 = (w3 >> 12) & Field25519.mask51
    }

    /// The canonical 32-byte little-endian encoding, the value fully reduced below p.
    var littleEndianBytes: [UInt8] {
        var t = self
        t.carry()
        t.carry()
        // Now t < 2^255 + a little. Adding 19 carries into bit 255 exactly when t >= p; then add
        // 2^255 - 19 (as 2^51 - 19, 2^51 - 1, ...) and drop bit 255: t - p when t >= p, else t.
        t.l0 &+= 19
        t.carry()
        t.l0 &+= (1 << 51) - 19
        t.l1 &+= (1 << 51) - 1; t.l2 &+= (1 << 51) - 1; t.l3 &+= (1 << 51) - 1; t.l4 &+= (1 << 51) - 1
        t.l1 &+= t.l0 >> 51; t.l0 &= Field25519.mask51
        t.l2 &+= t.l1 >> 51; t.l1 &= Field25519.mask51
        t.l3 &+= t.l2 >> 51; t.l2 &= Field25519.mask51
        t.l4 &+= t.l3 >> 51; t.l3 &= Field25519.mask51
        t.l4 &= Field25519.mask51
        let words = SIMD4(t.l0 | t.l1 << 51, t.l1 >> 13 | t.l2 << 38, t.l2 >> 26 | t.l3 << 25, t.l3 >> 39 | t.l4 << 12)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for i in 0..<4 {
            for shift in stride(from: UInt64(0), to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: words[i] >> shift)) }
        }
        return out
    }

    /// One pass of carries, the top limb's folding back times 19: every limb below 2^51 + 2^14.
    @inline(__always)
    mutating func carry() {
        l1 &+= l0 >> 51; l0 &= Field25519.mask51
        l2 &+= l1 >> 51; l1 &= Field25519.mask51
        l3 &+= l2 >> 51; l2 &= Field25519.mask51
        l4 &+= l3 >> 51; l3 &= Field25519.mask51
        l0 &+= (l4 >> 51) &* 19; l4 &= Field25519.mask51
    }

    @inline(__always)
    static func + (a: Field25519, b: Field25519) -> Field25519 {
        var r = Field25519(l0: a.l0 &+ b.l0, l1: a.l1 &+ b.l1, l2: a.l2 &+ b.l2, l3: a.l3 &+ b.l3, l4: a.l4 &+ b.l4)
        r.carry()
        return r
    }

    /// `a - b` as `a + 2p - b`, so no limb goes below zero (b's limbs are below 2^52 - 38).
    @inline(__always)
    static func - (a: Field25519, b: Field25519) -> Field25519 {
        var r = Field25519(l0: a.l0 &+ 0xF_FFFF_FFFF_FFDA &- b.l0, l1: a.l1 &+ 0xF_FFFF_FFFF_FFFE &- b.l1,
                           l2: a.l2 &+ 0xF_FFFF_FFFF_FFFE &- b.l2, l3: a.l3 &+ 0xF_FFFF_FFFF_FFFE &- b.l3,
                           l4: a.l4 &+ 0xF_FFFF_FFFF_FFFE &- b.l4)
        r.carry()
        return r
    }

    /// Schoolbook product; the limbs past 2^255 come back times 19, then one carry pass in 128 bits.
    @inline(__always)
    static func * (a: Field25519, b: Field25519) -> Field25519 {
        let b1 = b.l1 &* 19, b2 = b.l2 &* 19, b3 = b.l3 &* 19, b4 = b.l4 &* 19
        let t0 = wide(a.l0, b.l0) &+ wide(a.l1, b4) &+ wide(a.l2, b3) &+ wide(a.l3, b2) &+ wide(a.l4, b1)
        let t1 = wide(a.l0, b.l1) &+ wide(a.l1, b.l0) &+ wide(a.l2, b4) &+ wide(a.l3, b3) &+ wide(a.l4, b2)
        let t2 = wide(a.l0, b.l2) &+ wide(a.l1, b.l1) &+ wide(a.l2, b.l0) &+ wide(a.l3, b4) &+ wide(a.l4, b3)
        let t3 = wide(a.l0, b.l3) &+ wide(a.l1, b.l2) &+ wide(a.l2, b.l1) &+ wide(a.l3, b.l0) &+ wide(a.l4, b4)
        let t4 = wide(a.l0, b.l4) &+ wide(a.l1, b.l3) &+ wide(a.l2, b.l2) &+ wide(a.l3, b.l1) &+ wide(a.l4, b.l0)
        return reduce(t0, t1, t2, t3, t4)
    }

    /// `self * self` with the symmetric products counted once (15 multiplications instead of 25).
    @inline(__always)
    func squared() -> Field25519 {
        let d0 = l0 &* 2, d1 = l1 &* 2
        let l3x19 = l3 &* 19, l4x19 = l4 &* 19
        let t0 = wide(l0, l0) &+ wide(d1, l4x19) &+ wide(l2 &* 2, l3x19)
        let t1 = wide(d0, l1) &+ wide(l2 &* 2, l4x19) &+ wide(l3, l3x19)
        let t2 = wide(d0, l2) &+ wide(l1, l1) &+ wide(l3 &* 2, l4x19)
        let t3 = wide(d0, l3) &+ wide(d1, l2) &+ wide(l4, l4x19)
        let t4 = wide(d0, l4) &+ wide(d1, l3) &+ wide(l2, l2)
        return Field25519.reduce(t0, t1, t2, t3, t4)
    }

    /// Five 128-bit column sums carried into 51-bit limbs, the top carry folded back times 19.
    @inline(__always)
    private static func reduce(_ t0: Wide, _ t1: Wide, _ t2: Wide, _ t3: Wide, _ t4: Wide) -> Field25519 {
        let t1 = t1 &+ (t0 >> 51)
        let t2 = t2 &+ (t1 >> 51)
        let t3 = t3 &+ (t2 >> 51)
        let t4 = t4 &+ (t3 >> 51)
        var r = Field25519(l0: t0.low & mask51, l1: t1.low & mask51, l2: t2.low & mask51, l3: t3.low & mask51, l4: t4.low & mask51)
        r.l0 &+= (t4 >> 51).low &* 19
        r.l1 &+= r.l0 >> 51; r.l0 &= mask51
        return r
    }

    /// `self` squared `n` times.
    func squared(times n: Int) -> Field25519 {
        var r = self
        for _ in 0..<n { r = r.squared() }
        return r
    }

    /// `self^(p - 2)`, the inverse (Fermat), zero for zero: 254 squarings and 11 products in the
    /// usual chain, the same for every value.
    func inverted() -> Field25519 {
        let z2 = squared()
        let z9 = z2.squared(times: 2) * self
        let z11 = z9 * z2
        let z2_5_0 = z11.squared() * z9
        let z2_10_0 = z2_5_0.squared(times: 5) * z2_5_0
        let z2_20_0 = z2_10_0.squared(times: 10) * z2_10_0
        let z2_40_0 = z2_20_0.squared(times: 20) * z2_20_0
        let z2_50_0 = z2_40_0.squared(times: 10) * z2_10_0
        let z2_100_0 = z2_50_0.squared(times: 50) * z2_50_0
        let z2_200_0 = z2_100_0.squared(times: 100) * z2_100_0
        let z2_250_0 = z2_200_0.squared(times: 50) * z2_50_0
        return z2_250_0.squared(times: 5) * z11
    }

    /// Swaps `a` and `b` when `swap` is 1, leaves them when 0, with the same operations either way.
    @inline(__always)
    static func conditionalSwap(_ a: inout Field25519, _ b: inout Field25519, _ swap: UInt64) {
        let mask = 0 &- swap
        var t = mask & (a.l0 ^ b.l0); a.l0 ^= t; b.l0 ^= t
        t = mask & (a.l1 ^ b.l1); a.l1 ^= t; b.l1 ^= t
        t = mask & (a.l2 ^ b.l2); a.l2 ^= t; b.l2 ^= t
        t = mask & (a.l3 ^ b.l3); a.l3 ^= t; b.l3 ^= t
        t = mask & (a.l4 ^ b.l4); a.l4 ^= t; b.l4 ^= t
    }
}

/// A 128-bit column sum of 64-bit products, as two words; `&+` is add and add-with-carry.
struct Wide {
    var high: UInt64
    var low: UInt64

    /// The carry is a select, which the optimizer makes `adc` (no branch).
    @inline(__always)
    static func &+ (x: Wide, y: Wide) -> Wide {
        let (low, carry) = x.low.addingReportingOverflow(y.low)
        return Wide(high: x.high &+ y.high &+ (carry ? 1 : 0), low: low)
    }

    /// For 0 < n < 64.
    @inline(__always)
    static func >> (x: Wide, n: UInt64) -> Wide { Wide(high: x.high >> n, low: x.high << (64 - n) | x.low >> n) }
}

/// The full 128-bit product of two limbs (one `mul` instruction).
@inline(__always)
func wide(_ a: UInt64, _ b: UInt64) -> Wide {
    let (high, low) = a.multipliedFullWidth(by: b)
    return Wide(high: high, low: low)
}

/// The little-endian 64-bit word at `bytes[offset..<offset + 8]`.
@inline(__always)
func loadLittleEndian64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
    UInt64(loadLittleEndian32(bytes, offset)) | UInt64(loadLittleEndian32(bytes, offset + 4)) << 32
}
