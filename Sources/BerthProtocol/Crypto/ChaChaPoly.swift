/// The AEAD ChaCha20-Poly1305 (RFC 8439 section 2.8): `seal` encrypts and authenticates a message
/// and authenticates associated data; `open` checks the tag before it decrypts anything, so a changed
/// byte of ciphertext, data, nonce or tag gives an error and never a plaintext.
///
/// A (key, nonce) pair must never seal two messages: the caller makes nonces unique (the secure
/// channel counts frames). The sealed form is the ciphertext, as long as the plaintext, then the tag.
public enum ChaChaPoly {
    public static let keyByteCount = ChaCha20.keyByteCount
    public static let nonceByteCount = ChaCha20.nonceByteCount
    public static let tagByteCount = Poly1305.tagByteCount
    /// The longest plaintext: block 0 keys Poly1305, so 2^32 - 1 blocks of 64 bytes remain (256 GiB).
    public static let maxPlaintextByteCount = ((1 << 32) - 1) * ChaCha20.blockByteCount

    /// `ciphertext | tag`, `plaintext.count + 16` bytes, in one allocation.
    public static func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) throws(CryptoError) -> [UInt8] {
        let cipher = try ChaCha20(key: key, nonce: nonce)
        var sealed: [UInt8] = []
        sealed.reserveCapacity(plaintext.count + tagByteCount)
        sealed.append(contentsOf: plaintext)
        try cipher.xor(&sealed, counter: 1)
        authenticator(cipher, aad: aad, ciphertext: sealed, count: plaintext.count).appendTag(to: &sealed)
        return sealed
    }

    /// The plaintext of `sealed` (ciphertext then tag), or `authenticationFailed` when the tag does not
    /// match; the tags are compared in constant time, before anything is decrypted.
    public static func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], sealed: [UInt8]) throws(CryptoError) -> [UInt8] {
        let cipher = try ChaCha20(key: key, nonce: nonce)
        guard sealed.count >= tagByteCount else {
            throw CryptoError(.authenticationFailed, "sealed message of \(sealed.count) bytes, shorter than its tag")
        }
        let count = sealed.count - tagByteCount
        guard authenticator(cipher, aad: aad, ciphertext: sealed, count: count).tagMatches(sealed, at: count) else {
            throw CryptoError(.authenticationFailed, "the tag of a sealed message of \(sealed.count) bytes does not match")
        }
        var plaintext = Array(sealed[..<count])
        try cipher.xor(&plaintext, counter: 1)
        return plaintext
    }

    /// Poly1305, keyed by block 0, over `aad | pad16 | ciphertext[..<count] | pad16 | len(aad) | len(ciphertext)`.
    private static func authenticator(_ cipher: ChaCha20, aad: [UInt8], ciphertext: [UInt8], count: Int) -> Poly1305 {
        let ks = cipher.keystream(counter: 0)
        var mac = Poly1305(ks[0], ks[1], ks[2], ks[3], ks[4], ks[5], ks[6], ks[7])
        mac.absorbZeroPadded(aad, from: 0, to: aad.count)
        mac.absorbZeroPadded(ciphertext, from: 0, to: count)
        let aadLength = UInt64(aad.count), textLength = UInt64(count)
        mac.block(UInt32(truncatingIfNeeded: aadLength), UInt32(truncatingIfNeeded: aadLength >> 32),
                  UInt32(truncatingIfNeeded: textLength), UInt32(truncatingIfNeeded: textLength >> 32), highBit: 1 << 24)
        return mac
    }
}
