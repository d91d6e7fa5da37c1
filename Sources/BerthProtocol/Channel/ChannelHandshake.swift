/// The secure channel "channel.v1" (docs/protocol.md, "The secure channel"), its handshake half, as
/// pure functions: the ephemeral X25519 keys travel in `auth.challenge`'s answer (the node's) and in
/// `auth.response`'s params (the client's), both MACs cover them, and the two record keys come from
/// HKDF-SHA256 over the X25519 shared secret, salted with the shared secret.
///
/// Why this shape: the MACs over the transcript authenticate the exchange both ways (a proxy that
/// swaps a public key breaks both MACs), the ephemeral exchange gives forward secrecy (a secret
/// that leaks later does not open recorded traffic), and the salt makes the keys depend on the
/// secret too (an attacker who could break the exchange alone still lacks the keys).
public enum ChannelHandshake {
    /// The capability a node announces, and the value of `channel` in the handshake's messages.
    public static let version = "channel.v1"
    public static let clientLabel = "berth-channel-v1 client\n"
    public static let nodeLabel = "berth-channel-v1 node\n"
    public static let keysLabel = "berth-channel-v1 keys\n"
    public static let keyByteCount = 32

    /// nonce, clientNonce, the node's and the client's public keys: the lowercase hex strings as
    /// sent, joined by "\n".
    public static func transcript(nonce: String, clientNonce: String, nodeKey: String, clientKey: String) -> [UInt8] {
        Array((nonce + "\n" + clientNonce + "\n" + nodeKey + "\n" + clientKey).utf8)
    }

    public static func clientMAC(secret: AuthSecret, transcript: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(message: Array(clientLabel.utf8) + transcript, key: secret.bytes)
    }

    public static func nodeMAC(secret: AuthSecret, transcript: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(message: Array(nodeLabel.utf8) + transcript, key: secret.bytes)
    }

    /// The two record keys: HKDF-SHA256(ikm: the X25519 shared secret, salt: the shared secret's
    /// bytes, info: keysLabel + transcript, 64 bytes); the first 32 seal what the client sends, the
    /// last 32 what the node sends. Throws when the peer's key is one of X25519's low-order points
    /// (the shared secret would be all zeros, known to anyone).
    public static func keys(secret: AuthSecret, privateKey: [UInt8], peerKey: [UInt8], transcript: [UInt8]) throws(RPCError) -> ChannelKeys {
        let shared: [UInt8]
        do { shared = try X25519.sharedSecret(privateKey: privateKey, peerPublicKey: peerKey) } catch {
            throw RPCError(.unauthorized, "the peer's channel public key is not usable (a low-order point)")
        }
        let okm: [UInt8]
        do { okm = try HKDF.sha256(ikm: shared, salt: secret.bytes, info: Array(keysLabel.utf8) + transcript, length: 2 * keyByteCount) } catch {
            throw RPCError(.internal, "cannot derive the channel keys: \(error)")
        }
        return ChannelKeys(clientToNode: Array(okm[0..<keyByteCount]), nodeToClient: Array(okm[keyByteCount..<2 * keyByteCount]))
    }

    /// A fresh ephemeral key pair; the private key never leaves the connection's memory.
    public static func ephemeralKeyPair() throws(RPCError) -> (privateKey: [UInt8], publicKey: [UInt8]) {
        let privateKey = X25519.newPrivateKey()
        do { return (privateKey, try X25519.publicKey(privateKey: privateKey)) } catch {
            throw RPCError(.internal, "cannot make an ephemeral key: \(error)")
        }
    }

    /// Whether `text` is a public key as the wire carries it: 32 bytes in lowercase hex.
    public static func isPublicKey(_ text: String) -> Bool {
        text.utf8.count == 2 * keyByteCount && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Client side: the params for `auth.response` on a node that offers the channel, with the keys
    /// the connection will use once the node's proof checks out.
    public static func response(to challenge: AuthChallenge, secret: AuthSecret, clientNonce: [UInt8]) throws(RPCError) -> ChannelOpening {
        guard challenge.algorithm == AuthProof.algorithm else {
            throw RPCError(.unsupportedVersion, "the node asks for auth algorithm \(String(reflecting: challenge.algorithm)); this client speaks \(AuthProof.algorithm)")
        }
        guard challenge.channel == version, let nodeKeyText = challenge.publicKey, isPublicKey(nodeKeyText), let nodeKey = Hex.decode(nodeKeyText) else {
            throw RPCError(.unsupportedVersion, "the node does not offer the secure channel \(version) (a node run with --tcp-plain?)")
        }
        let (privateKey, publicKey) = try ephemeralKeyPair()
        let clientHex = Hex.encode(clientNonce)
        let clientKey = Hex.encode(publicKey)
        let transcript = transcript(nonce: challenge.nonce, clientNonce: clientHex, nodeKey: nodeKeyText, clientKey: clientKey)
        let keys = try keys(secret: secret, privateKey: privateKey, peerKey: nodeKey, transcript: transcript)
        let params = AuthResponseParams(clientNonce: clientHex, response: Hex.encode(clientMAC(secret: secret, transcript: transcript)),
                                        publicKey: clientKey)
        return ChannelOpening(params: params, keys: keys, expectedProof: nodeMAC(secret: secret, transcript: transcript))
    }
}

/// The two record keys of one connection.
public struct ChannelKeys: Sendable {
    public let clientToNode: [UInt8]
    public let nodeToClient: [UInt8]
}

/// A client's half-open channel: what it sent, and what the node must prove before its records count.
public struct ChannelOpening: Sendable {
    public let params: AuthResponseParams
    public let keys: ChannelKeys
    let expectedProof: [UInt8]

    /// Whether the node's answer proves it holds the secret and saw our key.
    public func verify(_ result: AuthResponseResult) -> Bool {
        guard result.authenticated, result.channel == ChannelHandshake.version, let proof = Hex.decode(result.proof) else { return false }
        return constantTimeEquals(proof, expectedProof)
    }
}
