import Testing
@testable import BerthProtocol

/// The secure channel's pure parts: the handshake between a node's `AuthSession` and a client's
/// `ChannelHandshake`, and records through `ChannelReader` in any chunking, with tampering refused.
@Suite struct ChannelTests {
    let secret = try! AuthSecret(bytes: Array("channel tests shared secret 0123".utf8))

    /// A node session and a client that completed the handshake: (node keys, client opening).
    func handshake() throws -> (ChannelKeys, ChannelOpening) {
        var node = AuthSession(requiring: secret, channel: true)
        let challenge = try node.challenge()
        #expect(challenge.channel == ChannelHandshake.version && challenge.publicKey != nil)
        let opening = try ChannelHandshake.response(to: challenge, secret: secret, clientNonce: Array(repeating: 7, count: 16))
        let result = try node.respond(opening.params)
        #expect(opening.verify(result))
        return (try #require(node.channelKeys), opening)
    }

    @Test func bothSidesDeriveTheSameKeys() throws {
        let (node, client) = try handshake()
        #expect(node.clientToNode == client.keys.clientToNode && node.nodeToClient == client.keys.nodeToClient)
        #expect(node.clientToNode != node.nodeToClient)
    }

    @Test func aPlainResponseIsRefusedAndEndsTheConnection() throws {
        var node = AuthSession(requiring: secret, channel: true)
        let challenge = try node.challenge()
        let plain = try AuthProof.response(to: AuthChallenge(nonce: challenge.nonce), secret: secret, clientNonce: Array(repeating: 1, count: 16))
        #expect(throws: RPCError.self) { try node.respond(plain) }
        #expect(node.shouldClose && !node.isAuthenticated && node.channelKeys == nil)
    }

    @Test func recordsOpenInAnyChunkingAfterThePlainLine() throws {
        let (keys, _) = try handshake()
        var sealer = RecordSealer(key: keys.clientToNode)
        let lines = (0..<50).map { "{\"n\":\($0),\"pad\":\"\(String(repeating: "x", count: $0 * 900))\"}\n" }.joined()
        let stream = Array("{\"open\":1}\n".utf8) + (try sealer.seal(Array(lines.utf8)))
        for chunk in [1, 3, 4096, stream.count] {
            var reader = ChannelReader(limit: 1 << 20)
            var got: [String] = []
            var k = 0
            while k < stream.count {
                try reader.feed(Array(stream[k..<min(stream.count, k + chunk)])) { line in
                    let text = String(decoding: line, as: UTF8.self)
                    got.append(text)
                    return text == "{\"open\":1}" ? RecordOpener(key: keys.clientToNode) : nil
                }
                k += chunk
            }
            #expect(got.count == 51 && got.last!.hasPrefix("{\"n\":49,"), "chunk \(chunk)")
        }
    }

    @Test func tamperingEndsTheChannel() throws {
        let (keys, _) = try handshake()
        var sealer = RecordSealer(key: keys.nodeToClient)
        let first = try sealer.seal(Array("{\"a\":1}\n".utf8))
        let second = try sealer.seal(Array("{\"b\":2}\n".utf8))
        var flipped = first
        flipped[6] ^= 1
        let cases: [(String, [UInt8])] = [
            ("flip", flipped), ("replay", first + first), ("reorder", second + first), ("drop", second),
            ("inject", Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node.ping\"}\n".utf8)),
            ("truncate", Array(first.dropLast()) + second),
        ]
        for (name, bytes) in cases {
            var opener = RecordOpener(key: keys.nodeToClient)
            var opened = 0
            let failed = (try? bytes.withUnsafeBufferPointer { try opener.feed($0) { _ in opened += 1 } }) == nil
            #expect(failed, "\(name) is refused")
            #expect(opened <= 1, "\(name): at most the genuine first record opens")
        }
    }
}
