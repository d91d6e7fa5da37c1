import Testing
import BerthProtocol

// Every Wycheproof test of the three primitives (Vectors/README.md says where the files come from),
// each checked against its expected result: `valid` must compute exactly the vector's output,
// `invalid` must be refused with the error that names why, `acceptable` is defined per primitive below.

/// One Wycheproof file's tests, each with its group's members (`ivSize`, ...) under the key `group`.
private func wycheproofTests(_ name: String) throws -> [JSONValue] {
    let file = try JSONParser.parse(readRepoFile("Tests/BerthProtocolTests/Crypto/Vectors/\(name)_test.json"))
    var tests: [JSONValue] = []
    for group in file["testGroups"]?.arrayValue ?? [] {
        for test in group["tests"]?.arrayValue ?? [] {
            guard var members = test.objectValue else { continue }
            members["group"] = group
            tests.append(.object(members))
        }
    }
    #expect(Int64(tests.count) == file["numberOfTests"]?.intValue, "every test of \(name) was read")
    return tests
}

private extension JSONValue {
    func bytes(_ key: String) -> [UInt8] { hex(self[key]?.stringValue ?? "") }
    var result: String { self["result"]?.stringValue ?? "" }
    var label: Comment { "tcId \(self["tcId"]?.intValue ?? -1): \(self["comment"]?.stringValue ?? "")" }
}

/// `valid`: seal gives ct | tag and open gives msg back. `invalid`: a nonce of another size is
/// `invalidLength` for both; every other (changed tags, edge cases of Poly1305) fails `open` as
/// `authenticationFailed`.
@Test func wycheproofChaCha20Poly1305() throws {
    let tests = try wycheproofTests("chacha20_poly1305")
    var counts: [String: Int] = [:]
    for test in tests {
        counts[test.result, default: 0] += 1
        let key = test.bytes("key"), nonce = test.bytes("iv"), aad = test.bytes("aad")
        let sealed = test.bytes("ct") + test.bytes("tag")
        switch test.result {
        case "valid":
            #expect(try ChaChaPoly.seal(key: key, nonce: nonce, aad: aad, plaintext: test.bytes("msg")) == sealed, test.label)
            #expect(try ChaChaPoly.open(key: key, nonce: nonce, aad: aad, sealed: sealed) == test.bytes("msg"), test.label)
        case "invalid":
            let expected: CryptoError.Code = nonce.count == ChaChaPoly.nonceByteCount ? .authenticationFailed : .invalidLength
            #expect(test["group"]?["ivSize"]?.intValue == Int64(nonce.count * 8), test.label)
            #expect(test.label) { try ChaChaPoly.open(key: key, nonce: nonce, aad: aad, sealed: sealed) } throws: {
                ($0 as? CryptoError)?.code == expected
            }
        default:
            Issue.record("unexpected result \(test.result) in \(test.label)")
        }
    }
    #expect(counts == ["valid": 256, "invalid": 69])
}

/// `valid`: the shared secret. `acceptable`: the public keys Wycheproof lets an implementation take
/// or refuse. X25519 takes all of them as RFC 7748 says (non-canonical u, bit 255 set, twist points)
/// and computes the vector's output, except where that output is all zeros (low-order public keys):
/// `sharedSecret` refuses those as `weakPeerKey`, while the bare function returns the zeros.
@Test func wycheproofX25519() throws {
    let tests = try wycheproofTests("x25519")
    var counts: [String: Int] = [:]
    for test in tests {
        counts[test.result, default: 0] += 1
        let privateKey = test.bytes("private"), publicKey = test.bytes("public"), shared = test.bytes("shared")
        #expect(try X25519.scalarMultiply(scalar: privateKey, u: publicKey) == shared, test.label)
        let flags = test["flags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if shared == [UInt8](repeating: 0, count: 32) {
            #expect(test.result == "acceptable" && flags.contains("ZeroSharedSecret"), test.label)
            #expect(test.label) { try X25519.sharedSecret(privateKey: privateKey, peerPublicKey: publicKey) } throws: {
                ($0 as? CryptoError)?.code == .weakPeerKey
            }
        } else {
            #expect(test.result == "valid" || test.result == "acceptable", test.label)
            #expect(try X25519.sharedSecret(privateKey: privateKey, peerPublicKey: publicKey) == shared, test.label)
        }
    }
    #expect(counts == ["valid": 264, "acceptable": 254])
}

/// `valid`: the output keying material. `invalid`: sizes beyond 255 blocks, `limitExceeded`.
@Test func wycheproofHKDFSHA256() throws {
    let tests = try wycheproofTests("hkdf_sha256")
    var counts: [String: Int] = [:]
    for test in tests {
        counts[test.result, default: 0] += 1
        let ikm = test.bytes("ikm"), salt = test.bytes("salt"), info = test.bytes("info")
        let size = Int(test["size"]?.intValue ?? -1)
        switch test.result {
        case "valid":
            #expect(try HKDF.sha256(ikm: ikm, salt: salt, info: info, length: size) == test.bytes("okm"), test.label)
        case "invalid":
            #expect(size > HKDF.maxOutputByteCount, test.label)
            #expect(test.label) { try HKDF.sha256(ikm: ikm, salt: salt, info: info, length: size) } throws: {
                ($0 as? CryptoError)?.code == .limitExceeded
            }
        default:
            Issue.record("unexpected result \(test.result) in \(test.label)")
        }
    }
    #expect(counts == ["valid": 83, "invalid": 3])
}
