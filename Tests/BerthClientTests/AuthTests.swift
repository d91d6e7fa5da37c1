import BerthProtocol
import Testing
@testable import BerthClient

@Suite struct ClientAuthTests {
    @Test(arguments: [FakeNode.Listen.unix, .tcp])
    func theRightSecretAuthenticatesAndCallsRun(_ listen: FakeNode.Listen) async throws {
        try await FakeNode.with(listen: listen, secret: testSecret, handler: pingHandler) { address in
            let (hello, pong) = try await NodeClient.withConnection(to: address, options: ConnectOptions.plainTCP(secret: testSecret)) { client in
                (await client.hello, try await client.call(MethodName.nodePing.rawValue, as: PingResult.self))
            }
            #expect(hello?.authRequired == true)
            #expect(pong.pong)
        }
    }

    @Test func aWrongSecretIsRefused() async throws {
        let wrong = try AuthSecret(bytes: Array("some-other-secret-of-enough-size".utf8))
        try await FakeNode.with(listen: .tcp, secret: testSecret, handler: pingHandler) { address in
            await #expect {
                try await NodeClient.withConnection(to: address, options: ConnectOptions.plainTCP(secret: wrong)) { _ in }
            } throws: { error in
                let error = error as? ClientError
                return error?.code == .authenticationFailed && error?.message.contains("unauthorized") == true
            }
        }
    }

    @Test func noSecretAgainstANodeThatRequiresOne() async throws {
        try await FakeNode.with(listen: .tcp, secret: testSecret, handler: pingHandler) { address in
            await #expect {
                try await NodeClient.withConnection(to: address) { _ in }
            } throws: { error in
                let error = error as? ClientError
                return error?.code == .authenticationFailed && error?.message.contains("--secret-file") == true
            }
        }
    }

    @Test func aNodeThatCannotProveTheSecretIsRefused() async throws {
        try await FakeNode.with(listen: .tcp, secret: testSecret, auth: .forgedProof, handler: pingHandler) { address in
            await #expect {
                try await NodeClient.withConnection(to: address, options: ConnectOptions.plainTCP(secret: testSecret)) { _ in }
            } throws: { error in
                let error = error as? ClientError
                return error?.code == .authenticationFailed && error?.message.contains("could not prove") == true
            }
        }
    }

    @Test func withoutAuthTheNodeRefusesCalls() async throws {
        // The fake enforces AuthSession on a Unix socket when given a secret; without hello the
        // client sends the call straight away and gets the node's unauthorized error.
        try await FakeNode.with(secret: testSecret, handler: pingHandler) { address in
            try await NodeClient.withConnection(to: address) { client in
                await #expect {
                    let _: PingResult = try await client.call(MethodName.nodePing.rawValue)
                } throws: { ($0 as? RPCError)?.kind == .unauthorized }
            }
        }
    }
}
