import Testing
import BerthFuzzChecks
import BerthProtocol

// The AEAD's edges beyond the RFC's vectors: every changed bit is refused, empty and block-sized
// messages, all-zero keys, wrong sizes, and the block counter's limit.

private let key = (0..<32).map { UInt8($0) }
private let nonce: [UInt8] = [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]
private let aad = bytes("frame 7")

/// Every length around the block sizes of both primitives (16 and 64) opens to what was sealed, and
/// sealing is deterministic in its inputs.
@Test func sealOpenRoundTripsEveryLengthAroundBlocks() throws {
    var rng = SplitMix64(seed: 18)
    for length in [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 4096] {
        let plaintext = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for aadLength in [0, 1, 16, 17] {
            let aad = Array(plaintext.prefix(aadLength))
            let sealed = try ChaChaPoly.seal(key: key, nonce: nonce, aad: aad, plaintext: plaintext)
            #expect(sealed.count == length + 16)
            #expect(try ChaChaPoly.seal(key: key, nonce: nonce, aad: aad, plaintext: plaintext) == sealed)
            #expect(try ChaChaPoly.open(key: key, nonce: nonce, aad: aad, sealed: sealed) == plaintext)
        }
    }
}

/// A flipped bit anywhere (ciphertext, tag, associated data, nonce, key) is `authenticationFailed`.
@Test func everyFlippedBitIsRefused() throws {
    let plaintext = bytes("{\"jsonrpc\":\"2.0\",\"method\":\"container.delete\",\"id\":1}")
    let sealed = try ChaChaPoly.seal(key: key, nonce: nonce, aad: aad, plaintext: plaintext)
    func refused(key: [UInt8] = key, nonce: [UInt8] = nonce, aad: [UInt8] = aad, sealed: [UInt8]) -> Bool {
        do {
            _ = try ChaChaPoly.open(key: key, nonce: nonce, aad: aad, sealed: sealed)
            return false
        } catch {
            return error.code == .authenticationFailed
        }
    }
    for bit in 0..<(sealed.count * 8) {
        var changed = sealed
        changed[bit / 8] ^= 1 << UInt8(bit % 8)
        #expect(refused(sealed: changed), "bit \(bit) of ciphertext|tag")
    }
    for bit in 0..<(aad.count * 8) {
        var changed = aad
        changed[bit / 8] ^= 1 << UInt8(bit % 8)
        #expect(refused(aad: changed, sealed: sealed), "bit \(bit) of the associated data")
    }
    var otherNonce = nonce
    otherNonce[11] ^= 1
    #expect(refused(nonce: otherNonce, sealed: sealed))
    var otherKey = key
    otherKey[0] ^= 0x80
    #expect(refused(key: otherKey, sealed: sealed))
    // Cut or grown: a truncated tag, a dropped ciphertext byte, a byte appended, data moved to the aad.
    #expect(refused(sealed: Array(sealed.dropLast())))
    #expect(refused(sealed: Array(sealed.dropFirst())))
    #expect(refused(sealed: sealed + [0]))
    #expect(refused(aad: aad + sealed.prefix(1), sealed: Array(sealed.dropFirst())))
    #expect(refused(sealed: Array(sealed.prefix(15))))
    #expect(refused(sealed: []))
}

/// An empty plaintext still authenticates its associated data: the sealed form is the tag alone.
@Test func emptyPlaintextIsATagOverTheAssociatedData() throws {
    let sealed = try ChaChaPoly.seal(key: key, nonce: nonce, aad: aad, plaintext: [])
    #expect(sealed.count == 16)
    #expect(try ChaChaPoly.open(key: key, nonce: nonce, aad: aad, sealed: sealed) == [])
    #expect(throws: CryptoError.self) { try ChaChaPoly.open(key: key, nonce: nonce, aad: bytes("frame 8"), sealed: sealed) }
    let bare = try ChaChaPoly.seal(key: key, nonce: nonce, aad: [], plaintext: [])
    #expect(bare != sealed)
    #expect(try ChaChaPoly.open(key: key, nonce: nonce, aad: [], sealed: bare) == [])
}

/// All-zero keys and nonces are keys like any other: the cipher still changes the text, and the tag
/// still depends on it (Poly1305's r from block 0 is not zero).
@Test func allZeroKeyAndNonce() throws {
    let zeros = [UInt8](repeating: 0, count: 32)
    let zeroNonce = [UInt8](repeating: 0, count: 12)
    let plaintext = [UInt8](repeating: 0, count: 64)
    let sealed = try ChaChaPoly.seal(key: zeros, nonce: zeroNonce, aad: [], plaintext: plaintext)
    #expect(Array(sealed.prefix(64)) != plaintext)
    #expect(Array(sealed.suffix(16)) != [UInt8](repeating: 0, count: 16))
    #expect(try ChaChaPoly.open(key: zeros, nonce: zeroNonce, aad: [], sealed: sealed) == plaintext)
    // A.1 vector 2's block 1 is this message's keystream (block 0 keys Poly1305).
    #expect(Hex.encode(sealed.prefix(8)) == "9f07e7be5551387a")
}

/// Keys, nonces and one-time keys of any other size are `invalidLength`, before anything is computed.
@Test func wrongSizesAreRefused() {
    for size in [0, 16, 31, 33, 64] {
        let wrongKey = [UInt8](repeating: 1, count: size)
        #expect { try ChaChaPoly.seal(key: wrongKey, nonce: nonce, aad: [], plaintext: [1]) } throws: { ($0 as? CryptoError)?.code == .invalidLength }
        #expect { try ChaChaPoly.open(key: wrongKey, nonce: nonce, aad: [], sealed: [UInt8](repeating: 0, count: 17)) } throws: { ($0 as? CryptoError)?.code == .invalidLength }
        #expect { try Poly1305(key: wrongKey) } throws: { ($0 as? CryptoError)?.code == .invalidLength }
    }
    for size in [0, 8, 11, 13, 24] {
        let wrongNonce = [UInt8](repeating: 1, count: size)
        #expect { try ChaChaPoly.seal(key: key, nonce: wrongNonce, aad: [], plaintext: [1]) } throws: { ($0 as? CryptoError)?.code == .invalidLength }
        #expect { try ChaCha20(key: key, nonce: wrongNonce) } throws: { ($0 as? CryptoError)?.code == .invalidLength }
    }
}

/// The 32-bit block counter never wraps: the last block (2^32 - 1) is usable, a message that would
/// need the block after it is refused whole, with the data untouched. The AEAD's limit is the same
/// check from counter 1 (a 256 GiB message cannot be built in a test, so the bound is checked as a number).
@Test func theBlockCounterNeverWraps() throws {
    let cipher = try ChaCha20(key: key, nonce: nonce)
    var lastBlock = [UInt8](repeating: 0, count: 64)
    try cipher.xor(&lastBlock, counter: .max)
    #expect(lastBlock == cipher.block(counter: .max))

    let original = [UInt8](repeating: 7, count: 65)
    var data = original
    #expect { try cipher.xor(&data, counter: .max) } throws: { ($0 as? CryptoError)?.code == .limitExceeded }
    #expect(data == original)
    var twoBlocks = [UInt8](repeating: 0, count: 128)
    try cipher.xor(&twoBlocks, counter: .max - 1)
    #expect(Array(twoBlocks.suffix(64)) == cipher.block(counter: .max))
    #expect(ChaChaPoly.maxPlaintextByteCount == 274_877_906_880)
}

/// `xor(from:)` leaves the bytes before `start` alone: the channel encrypts after a frame's header.
@Test func xorFromAnOffsetLeavesThePrefix() throws {
    let cipher = try ChaCha20(key: key, nonce: nonce)
    var whole = [UInt8](repeating: 0, count: 100)
    try cipher.xor(&whole, counter: 1)
    var framed = [UInt8](repeating: 0xAA, count: 5) + [UInt8](repeating: 0, count: 100)
    try cipher.xor(&framed, from: 5, counter: 1)
    #expect(Array(framed.prefix(5)) == [UInt8](repeating: 0xAA, count: 5))
    #expect(Array(framed.dropFirst(5)) == whole)
}
