import Testing
import BerthProtocol

// RFC 7748's vectors for X25519 (section 5.2 and 6.1) and the exchange's edges.

/// 5.2: the two single vectors. Vector 2's u has bit 255 set, which X25519 ignores.
@Test(arguments: [
    ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
    ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
])
func x25519RFC7748Vectors(_ scalar: String, _ u: String, _ output: String) throws {
    #expect(Hex.encode(try X25519.scalarMultiply(scalar: hex(scalar), u: hex(u))) == output)
    #expect(Hex.encode(try X25519.sharedSecret(privateKey: hex(scalar), peerPublicKey: hex(u))) == output)
}

/// 5.2: k = u = 9, then `k, u = X25519(k, u), k`; the RFC gives k after 1 and 1,000 rounds.
@Test func x25519Iterated() throws {
    var k = X25519.basePoint, u = X25519.basePoint
    for round in 1...1000 {
        (k, u) = (try X25519.scalarMultiply(scalar: k, u: u), k)
        if round == 1 { #expect(Hex.encode(k) == "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079") }
    }
    #expect(Hex.encode(k) == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
}

/// 6.1: Alice's and Bob's key pairs and their one shared secret.
@Test func x25519AliceAndBob() throws {
    let alicePrivate = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    let bobPrivate = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    let alicePublic = try X25519.publicKey(privateKey: alicePrivate)
    let bobPublic = try X25519.publicKey(privateKey: bobPrivate)
    #expect(Hex.encode(alicePublic) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    #expect(Hex.encode(bobPublic) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    #expect(Hex.encode(try X25519.sharedSecret(privateKey: alicePrivate, peerPublicKey: bobPublic)) == shared)
    #expect(Hex.encode(try X25519.sharedSecret(privateKey: bobPrivate, peerPublicKey: alicePublic)) == shared)
}

/// Fresh keys from the system generator agree with each other, and are not the same twice.
@Test func x25519FreshKeysAgree() throws {
    let a = X25519.newPrivateKey(), b = X25519.newPrivateKey()
    #expect(a.count == 32 && a != b)
    let ab = try X25519.sharedSecret(privateKey: a, peerPublicKey: try X25519.publicKey(privateKey: b))
    let ba = try X25519.sharedSecret(privateKey: b, peerPublicKey: try X25519.publicKey(privateKey: a))
    #expect(ab == ba)
}

/// Points of small order give the all-zero secret whatever the private key: `sharedSecret` refuses
/// them (RFC 7748 section 6.1), `scalarMultiply` returns the zeros. The u-coordinates are 0, 1, the
/// order-8 points, p - 1, p, p + 1 (non-canonical forms of 0 and 1) and their bit-255 variants.
@Test(arguments: [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
])
func x25519RefusesSmallOrderPeerKeys(_ u: String) throws {
    let privateKey = X25519.newPrivateKey()
    #expect(try X25519.scalarMultiply(scalar: privateKey, u: hex(u)) == [UInt8](repeating: 0, count: 32))
    #expect { try X25519.sharedSecret(privateKey: privateKey, peerPublicKey: hex(u)) } throws: {
        ($0 as? CryptoError)?.code == .weakPeerKey
    }
}

/// Private keys are clamped: bits 0-2 and 255 do not matter, bit 254 is always set. An all-zero
/// private key is therefore a valid key (2^254), not a zero result.
@Test func x25519ClampsTheScalar() throws {
    let key = X25519.newPrivateKey()
    var variant = key
    variant[0] ^= 0x07
    variant[31] ^= 0xC0
    #expect(try X25519.publicKey(privateKey: variant) == X25519.publicKey(privateKey: key))
    let zeroKeyPublic = try X25519.publicKey(privateKey: [UInt8](repeating: 0, count: 32))
    #expect(zeroKeyPublic != [UInt8](repeating: 0, count: 32))
}

@Test func x25519RefusesWrongSizes() {
    for size in [0, 31, 33, 64] {
        let wrong = [UInt8](repeating: 9, count: size)
        #expect { try X25519.publicKey(privateKey: wrong) } throws: { ($0 as? CryptoError)?.code == .invalidLength }
        #expect { try X25519.sharedSecret(privateKey: X25519.basePoint, peerPublicKey: wrong) } throws: {
            ($0 as? CryptoError)?.code == .invalidLength
        }
    }
}
