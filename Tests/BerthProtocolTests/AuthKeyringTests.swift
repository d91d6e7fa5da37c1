import Testing
import BerthFuzzChecks
import BerthProtocol

private func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }
private let adminSecret = try! AuthSecret(bytes: utf8("admin-secret-0123456789"))
private let readSecret = try! AuthSecret(bytes: utf8("read-secret-0123456789"))
private let ring = try! AuthKeyring([
    NamedSecret(name: "boss", role: .admin, secret: adminSecret),
    NamedSecret(name: "viewer", role: .read, secret: readSecret),
])

@Test func aSingleSecretFileIsOneAdminSecretAsBefore() throws {
    let parsed = try AuthKeyring(fileContents: utf8("correct horse battery staple\n"))
    #expect(parsed.entries.map(\.name) == ["default"])
    #expect(parsed.entries[0].role == .admin)
    #expect(parsed.entries[0].secret == (try AuthSecret(bytes: utf8("correct horse battery staple"))))
}

@Test func aKeyringFileNamesSecretsWithRoles() throws {
    let parsed = try AuthKeyring(fileContents: utf8("berth-secrets 1\n# comment\n\nboss admin admin-secret-0123456789\n  viewer\tread read-secret-0123456789\r\n"))
    #expect(parsed == ring)
}

@Test(arguments: [
    ("berth-secrets 1\n", "no secrets"),
    ("berth-secrets 1\nboss admin\n", "line 2"),
    ("berth-secrets 1\nboss root admin-secret-0123456789\n", "read|operate|admin"),
    ("berth-secrets 1\nboss admin short\n", "at least 16"),
    ("berth-secrets 1\nboss admin admin-secret-0123456789\nboss read read-secret-0123456789\n", "twice"),
    ("berth-secrets 1\nboss admin admin-secret-0123456789\nother read admin-secret-0123456789\n", "same secret"),
    ("berth-secrets 1\nb/ss admin admin-secret-0123456789\n", "secret name"),
])
func badKeyringFilesAreRefusedWithoutNamingASecret(_ text: String, _ expected: String) {
    #expect(throws: RPCError.self) { try AuthKeyring(fileContents: utf8(text)) }
    do { _ = try AuthKeyring(fileContents: utf8(text)) } catch {
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(!error.message.contains("0123456789"), "the message shows a secret: \(error.message)")
    }
}

private func respond(_ session: inout AuthSession, with secret: AuthSecret, keyId: String?, seed: UInt64) throws(RPCError) -> AuthResponseResult {
    var rng = SplitMix64(seed: seed)
    let challenge = try session.challenge(using: &rng)
    var params = try AuthProof.response(to: challenge, secret: secret, clientNonce: (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })
    params.keyId = keyId
    let result = try session.respond(params)
    #expect(AuthProof.verifyNode(result, challenge: challenge, sent: params, secret: secret), "the proof is made with the matched secret")
    return result
}

@Test func theKeyIdPicksTheSecretAndWithoutOneAnyMatches() throws {
    for (secret, keyId, name) in [(readSecret, "viewer", "viewer"), (readSecret, nil, "viewer"), (adminSecret, nil, "boss")] as [(AuthSecret, String?, String)] {
        var session = AuthSession(requiring: ring)
        _ = try respond(&session, with: secret, keyId: keyId, seed: 3)
        #expect(session.authenticatedAs?.name == name)
    }
}

@Test func anUnknownKeyIdFailsExactlyAsAWrongSecretDoes() throws {
    var wrongId = AuthSession(requiring: ring)
    var wrongSecret = AuthSession(requiring: ring)
    var wrongPair = AuthSession(requiring: ring)
    let a = #expect(throws: RPCError.self) { try respond(&wrongId, with: readSecret, keyId: "nobody", seed: 4) }
    let b = #expect(throws: RPCError.self) { try respond(&wrongSecret, with: try AuthSecret(bytes: utf8("not-a-secret-0123456789")), keyId: nil, seed: 4) }
    let c = #expect(throws: RPCError.self) { try respond(&wrongPair, with: readSecret, keyId: "boss", seed: 4) }
    #expect(a == b && b == c, "no oracle for which names exist")
    #expect(!wrongId.isAuthenticated && wrongId.failedAttempts == 1)
}

@Test func aRevokedSessionMustAuthenticateAgainWithTheNewRing() throws {
    var session = AuthSession(requiring: ring)
    _ = try respond(&session, with: adminSecret, keyId: "boss", seed: 5)
    #expect(session.authorize(method: "container.list") == nil)
    session.revoke()
    #expect(session.authorize(method: "container.list")?.kind == .unauthorized)
    session.use(try AuthKeyring([NamedSecret(name: "viewer", role: .read, secret: readSecret)]))
    #expect(throws: RPCError.self) { try respond(&session, with: adminSecret, keyId: nil, seed: 6) }
    _ = try respond(&session, with: readSecret, keyId: nil, seed: 7)
    #expect(session.authenticatedAs?.role == .read)
    // A Unix-socket session has nothing to revoke.
    var unix = AuthSession.preauthorized
    unix.revoke()
    #expect(unix.isAuthenticated)
}

@Test func aMalformedKeyIdIsInvalidParams() {
    var session = AuthSession(requiring: ring)
    _ = try? session.challenge()
    let error = #expect(throws: RPCError.self) {
        try session.respond(AuthResponseParams(clientNonce: String(repeating: "00", count: 16), response: String(repeating: "00", count: 32), keyId: "a b"))
    }
    #expect(error?.kind == .invalidParams)
    #expect(error?.details["path"] == "keyId")
}

@Test func rolesIncludeTheOnesBelow() {
    #expect(Role.admin.allows(.operate) && Role.admin.allows(.read) && Role.operate.allows(.read))
    #expect(!Role.read.allows(.operate) && !Role.operate.allows(.admin))
}
