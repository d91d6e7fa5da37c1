/// X25519 Diffie-Hellman (RFC 7748): a private key is 32 random bytes, the public key the
/// u-coordinate of its multiple of the base point 9, and both sides of an exchange reach the same
/// shared secret from their private key and the other's public key.
///
/// The scalar multiplication is the Montgomery ladder of RFC 7748 section 5: 255 identical steps,
/// each with one masked swap chosen by a bit of the (clamped) scalar, so the timing does not depend
/// on the key. The secure channel uses it for an ephemeral exchange per connection (forward secrecy).
public enum X25519 {
    public static let keyByteCount = 32
    /// The base point's u-coordinate, 9.
    public static let basePoint: [UInt8] = [9] + [UInt8](repeating: 0, count: 31)

    /// A new private key: 32 bytes from the system's generator (getrandom).
    public static func newPrivateKey() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return generator.bytes(keyByteCount)
    }

    /// The public key of `privateKey`: X25519(privateKey, 9).
    public static func publicKey(privateKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        try scalarMultiply(scalar: privateKey, u: basePoint)
    }

    /// The shared secret of `privateKey` and the peer's public key. A peer key of small order (or
    /// any that leads there) makes the result all zeros, which a peer could force; it is refused as
    /// `weakPeerKey` (RFC 7748 section 6.1), checked without a branch on the secret's bytes.
    public static func sharedSecret(privateKey: [UInt8], peerPublicKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        let secret = try scalarMultiply(scalar: privateKey, u: peerPublicKey)
        var any: UInt8 = 0
        for byte in secret { any |= byte }
        guard any != 0 else {
            throw CryptoError(.weakPeerKey, "the peer's X25519 public key gives the all-zero shared secret")
        }
        return secret
    }

    /// The function X25519(k, u) of RFC 7748 section 5: the scalar clamped (bits 0-2 and 255
    /// cleared, bit 254 set), the u-coordinate's bit 255 ignored, the result encoded canonically.
    /// An all-zero result is returned as it is; `sharedSecret` is the call that refuses it.
    public static func scalarMultiply(scalar: [UInt8], u: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard scalar.count == keyByteCount else {
            throw CryptoError(.invalidLength, "X25519 private key of \(scalar.count) bytes; it takes 32")
        }
        guard u.count == keyByteCount else {
            throw CryptoError(.invalidLength, "X25519 public key of \(u.count) bytes; it takes 32")
        }
        var k = scalar
        k[0] &= 248
        k[31] &= 127
        k[31] |= 64
        return ladder(k, Field25519(littleEndian: u)).littleEndianBytes
    }

    /// RFC 7748 section 5's ladder, step for step; `a24` is (486662 - 2) / 4.
    private static func ladder(_ k: [UInt8], _ x1: Field25519) -> Field25519 {
        let a24 = Field25519(l0: 121_665, l1: 0, l2: 0, l3: 0, l4: 0)
        var x2 = Field25519.one, z2 = Field25519.zero, x3 = x1, z3 = Field25519.one
        var swap: UInt64 = 0
        for t in stride(from: 254, through: 0, by: -1) {
            let bit = UInt64((k[t >> 3] >> UInt8(t & 7)) & 1)
            swap ^= bit
            Field25519.conditionalSwap(&x2, &x3, swap)
            Field25519.conditionalSwap(&z2, &z3, swap)
            swap = bit
            let a = x2 + z2, aa = a.squared()
            let b = x2 - z2, bb = b.squared()
            let e = aa - bb
            let c = x3 + z3, d = x3 - z3
            let da = d * a, cb = c * b
            x3 = (da + cb).squared()
            z3 = x1 * (da - cb).squared()
            x2 = aa * bb
            z2 = e * (aa + a24 * e)
        }
        Field25519.conditionalSwap(&x2, &x3, swap)
        Field25519.conditionalSwap(&z2, &z3, swap)
        return x2 * z2.inverted()
    }
}
