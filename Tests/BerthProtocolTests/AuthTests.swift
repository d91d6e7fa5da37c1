import Testing
import BerthFuzzChecks
import BerthProtocol

@Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
])
func sha256Vectors(_ message: String, _ digest: String) {
    #expect(Hex.encode(SHA256.hash(Array(message.utf8))) == digest)
}

@Test func sha256OneMillionAs() {
    var h = SHA256()
    let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
    for _ in 0..<1000 { h.update(chunk) }
    #expect(Hex.encode(h.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

@Test func sha256StreamingMatchesOneShot() {
    var rng = SplitMix64(seed: 5)
    let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
    let whole = SHA256.hash(data)
    for split in [0, 1, 55, 56, 63, 64, 65, 128, 299] {
        var h = SHA256()
        h.update(data[..<split])
        h.update(data[split...])
        #expect(h.finalize() == whole, "split at \(split)")
    }
}

/// Lengths around the padding's edges (the length field fits in the last block or needs another);
/// digests from python's hashlib. Fed whole, byte by byte, and as a sequence with no contiguous
/// storage, so every path into the block function is checked.
@Test(arguments: [
    (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
    (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
    (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
    (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
    (119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
    (120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
    (127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"),
    (128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"),
])
func sha256PaddingEdges(_ length: Int, _ digest: String) {
    let data = [UInt8](repeating: UInt8(ascii: "a"), count: length)
    #expect(Hex.encode(SHA256.hash(data)) == digest)
    var bytewise = SHA256()
    for b in data { bytewise.update(CollectionOfOne(b)) }
    #expect(Hex.encode(bytewise.finalize()) == digest)
    #expect(Hex.encode(SHA256.hash(data.lazy.filter { _ in true })) == digest)
}

/// RFC 4231 test cases 1-7 (case 5 compares the first 128 bits, as the RFC does).
@Test(arguments: [
    ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (Array(1...25), [UInt8](repeating: 0xcd, count: 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    ([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8), "a3b6167473100ee06e0c796c2955552b"),
    ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ([UInt8](repeating: 0xaa, count: 131), Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
] as [([UInt8], [UInt8], String)])
func hmacRFC4231(_ key: [UInt8], _ data: [UInt8], _ expected: String) {
    let mac = Hex.encode(HMACSHA256.authenticate(message: data, key: key))
    #expect(mac.prefix(expected.count) == expected)
}

@Test func constantTimeCompare() {
    #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
    #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
    #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
    #expect(constantTimeEquals([UInt8](), [UInt8]()))
}

@Test func hexRoundTrips() {
    #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
    #expect(Hex.decode("00abFF") == [0x00, 0xAB, 0xFF])
    #expect(Hex.decode("abc") == nil)
    #expect(Hex.decode("zz") == nil)
}

private let secret = try! AuthSecret(bytes: Array("correct horse battery staple".utf8))
private let wrong = try! AuthSecret(bytes: Array("incorrect horse battery staple".utf8))

private func handshake(_ session: inout AuthSession, clientSecret: AuthSecret, seed: UInt64) throws -> (AuthChallenge, AuthResponseParams, Result<AuthResponseResult, RPCError>) {
    var rng = SplitMix64(seed: seed)
    let challenge = try session.challenge(using: &rng)
    let clientNonce = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
    let params = try AuthProof.response(to: challenge, secret: clientSecret, clientNonce: clientNonce)
    let result = Result { () throws(RPCError) in try session.respond(params) }
    return (challenge, params, result)
}

@Test func theRightSecretAuthenticatesBothWays() throws {
    var session = AuthSession(requiring: secret)
    #expect(session.authorize(method: "container.list")?.kind == .unauthorized)
    #expect(session.authorize(method: "node.hello") == nil)
    let (challenge, params, result) = try handshake(&session, clientSecret: secret, seed: 1)
    #expect(challenge.nonce.count == 64)
    #expect(challenge.algorithm == "hmac-sha256")
    let ok = try result.get()
    #expect(ok.authenticated)
    #expect(AuthProof.verifyNode(ok, challenge: challenge, sent: params, secret: secret))
    #expect(!AuthProof.verifyNode(ok, challenge: challenge, sent: params, secret: wrong))
    #expect(session.isAuthenticated)
    #expect(session.authorize(method: "container.list") == nil)
    // The secret never appears in what crosses the wire.
    let wire = text(try JSONValueEncoder().encode(params).serialized()) + text(try JSONValueEncoder().encode(ok).serialized())
    #expect(!wire.contains("horse"))
    #expect(!wire.contains(Hex.encode(Array("correct horse battery staple".utf8))))
}

@Test func aWrongSecretIsRefused() throws {
    var session = AuthSession(requiring: secret)
    let (_, _, result) = try handshake(&session, clientSecret: wrong, seed: 2)
    #expect(throws: RPCError.self) { try result.get() }
    if case .failure(let e) = result { #expect(e.kind == .unauthorized) }
    #expect(!session.isAuthenticated)
    #expect(session.failedAttempts == 1)
}

@Test func aResponseIsNotReplayableOnANewNonce() throws {
    var first = AuthSession(requiring: secret)
    let (_, params, result) = try handshake(&first, clientSecret: secret, seed: 3)
    _ = try result.get()
    // An eavesdropper replays the recorded response on another connection with its own nonce.
    var second = AuthSession(requiring: secret)
    _ = try second.challenge()
    #expect(throws: RPCError.self) { try second.respond(params) }
    #expect(!second.isAuthenticated)
}

@Test func aNonceIsGoodForOneResponseOnly() throws {
    var session = AuthSession(requiring: secret)
    var rng = SplitMix64(seed: 4)
    let challenge = try session.challenge(using: &rng)
    let bad = try AuthProof.response(to: challenge, secret: wrong, clientNonce: [UInt8](repeating: 1, count: 16))
    #expect(throws: RPCError.self) { try session.respond(bad) }
    // The right answer to the consumed nonce no longer counts.
    let good = try AuthProof.response(to: challenge, secret: secret, clientNonce: [UInt8](repeating: 1, count: 16))
    #expect(throws: RPCError.self) { try session.respond(good) }
    #expect(!session.isAuthenticated)
    #expect(session.failedAttempts == 2)
    #expect(throws: RPCError.self) { try session.respond(good) }
    #expect(session.shouldClose)
}

@Test func aNewChallengeReplacesTheOldNonce() throws {
    var session = AuthSession(requiring: secret)
    let old = try session.challenge()
    let new = try session.challenge()
    #expect(old.nonce != new.nonce)
    let stale = try AuthProof.response(to: old, secret: secret, clientNonce: [UInt8](repeating: 2, count: 32))
    #expect(throws: RPCError.self) { try session.respond(stale) }
}

@Test func malformedResponsesAndShortSecretsAreRefused() throws {
    var session = AuthSession(requiring: secret)
    _ = try session.challenge()
    do {
        _ = try session.respond(AuthResponseParams(clientNonce: "xyz", response: "00"))
        Issue.record("accepted a malformed client nonce")
    } catch {
        #expect(error.kind == .invalidParams)
    }
    #expect(throws: RPCError.self) { try AuthSecret(bytes: Array("short".utf8)) }
    #expect(try AuthSecret(fileContents: Array("0123456789abcdef\n".utf8)) == AuthSecret(bytes: Array("0123456789abcdef".utf8)))
    #expect("\(secret)" == "AuthSecret(<redacted>)")
}

/// The params' shape is checked before the state, as the contract's patterns say: a malformed response
/// is invalid_params on an authenticated connection too (it was `conflict`), and on one still to
/// authenticate it uses up the nonce and counts as a failure.
@Test func malformedParamsAreInvalidWhateverTheState() throws {
    let malformed = [
        AuthResponseParams(clientNonce: "00" * 16, response: "0" * 63),
        AuthResponseParams(clientNonce: "00" * 16, response: "A" * 64),
        AuthResponseParams(clientNonce: "00" * 15, response: "0" * 64),
        AuthResponseParams(clientNonce: "00" * 65, response: "0" * 64),
    ]
    for params in malformed {
        var open = AuthSession.preauthorized
        #expect(Result { () throws(RPCError) in try open.respond(params) }.failureKind == .invalidParams, "\(params)")
    }
    var session = AuthSession(requiring: secret)
    let challenge = try session.challenge()
    #expect(Result { () throws(RPCError) in try session.respond(malformed[0]) }.failureKind == .invalidParams)
    #expect(session.failedAttempts == 1)
    let good = try AuthProof.response(to: challenge, secret: secret, clientNonce: [UInt8](repeating: 3, count: 16))
    #expect(Result { () throws(RPCError) in try session.respond(good) }.failureKind == .unauthorized)
}

private func * (text: String, count: Int) -> String { String(repeating: text, count: count) }

private extension Result where Failure == RPCError {
    var failureKind: ErrorKind? { if case .failure(let error) = self { error.kind } else { nil } }
}

@Test func preauthorizedSessionsNeedNoChallenge() {
    var session = AuthSession.preauthorized
    #expect(session.isAuthenticated)
    #expect(session.authorize(method: "container.install") == nil)
    #expect(throws: RPCError.self) { try session.challenge() }
}

/// The auth results' direct JSON is what the Codable encoder makes of them (the node answers with the
/// direct one; clients decode it with Codable).
@Test func authResultsEncodeDirectlyAsCodableDoes() throws {
    let challenge = AuthChallenge(nonce: Hex.encode([UInt8](repeating: 0xab, count: 32)))
    #expect(challenge.jsonValue == (try JSONValueEncoder().encode(challenge)))
    for authenticated in [true, false] {
        let result = AuthResponseResult(authenticated: authenticated, proof: "0123abcd")
        #expect(result.jsonValue == (try JSONValueEncoder().encode(result)))
        #expect(try JSONValueDecoder().decode(AuthResponseResult.self, from: result.jsonValue) == result)
    }
    #expect(try JSONValueDecoder().decode(AuthChallenge.self, from: challenge.jsonValue) == challenge)
}
