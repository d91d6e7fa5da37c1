/// HKDF with HMAC-SHA256 (RFC 5869): extract a pseudorandom key from input keying material and a
/// salt, then expand it into as many bytes as the caller needs, bound to `info`. The secure channel
/// derives its per-direction keys this way; the secret never keys a cipher directly.
public enum HKDF {
    /// The most bytes one expansion gives: 255 blocks of the hash (RFC 5869 section 2.3).
    public static let maxOutputByteCount = 255 * SHA256.digestByteCount

    /// Extract then expand: `length` bytes of output keying material. An empty salt stands for 32
    /// zero bytes, as the RFC says (HMAC pads the key with zeros to the block, so the two are the same).
    public static func sha256(
        ikm: some Collection<UInt8>, salt: some Collection<UInt8>, info: some Collection<UInt8>, length: Int
    ) throws(CryptoError) -> [UInt8] {
        try expand(prk: extract(ikm: ikm, salt: salt), info: info, length: length)
    }

    /// HKDF-Extract: `HMAC-SHA256(salt, ikm)`.
    public static func extract(ikm: some Collection<UInt8>, salt: some Collection<UInt8>) -> [UInt8] {
        HMACSHA256.authenticate(message: ikm, key: salt)
    }

    /// HKDF-Expand: `T(1) | T(2) | ...` cut to `length`, with `T(i) = HMAC(prk, T(i-1) | info | i)`.
    public static func expand(
        prk: some Collection<UInt8>, info: some Collection<UInt8>, length: Int
    ) throws(CryptoError) -> [UInt8] {
        guard length >= 0, length <= maxOutputByteCount else {
            throw CryptoError(.limitExceeded, "HKDF output of \(length) bytes; at most \(maxOutputByteCount)")
        }
        var output: [UInt8] = []
        output.reserveCapacity(length + SHA256.digestByteCount)
        var block: [UInt8] = []
        var counter: UInt8 = 1
        let infoBytes = Array(info)
        while output.count < length {
            block.append(contentsOf: infoBytes)
            block.append(counter)
            block = HMACSHA256.authenticate(message: block, key: prk)
            output.append(contentsOf: block)
            counter &+= 1
        }
        output.removeLast(output.count - length)
        return output
    }
}
