/// The challenge-response exchange (protocol "berth-auth-v1"), as pure functions.
///
/// 1. client -> `auth.challenge {}`; node -> `{nonce: hex(32 random bytes), algorithm: "hmac-sha256"}`.
/// 2. client picks `clientNonce` (16..64 random bytes, hex) and sends `auth.response {clientNonce,
///    response: hex(HMAC(secret, "berth-auth-v1\n" + nonce + "\n" + clientNonce))}`.
/// 3. node -> `{authenticated: true, proof: hex(HMAC(secret, "berth-auth-v1 node\n" + nonce + "\n" + clientNonce))}`.
///    The client checks the proof, so it also knows it reached a node holding the secret and not
///    some local process squatting on the port.
///
/// A node may hold several secrets (`AuthKeyring`); `auth.response` may name the one used with
/// `keyId`, and the node's proof is made with the secret that matched.
///
/// Nonces are the lowercase hex strings exactly as sent. The two labels differ, so neither side's MAC
/// can be replayed as the other's. The node forgets its nonce on the first `auth.response`, right or
/// wrong, so each nonce is good for one attempt on one connection.
public enum AuthProof {
    public static let algorithm = "hmac-sha256"
    public static let clientLabel = "berth-auth-v1\n"
    public static let nodeLabel = "berth-auth-v1 node\n"
    public static let nonceByteCount = 32
    public static let clientNonceByteCounts = 16...64

    /// The client's MAC over both nonces.
    public static func clientMAC(secret: AuthSecret, nonce: String, clientNonce: String) -> [UInt8] {
        HMACSHA256.authenticate(message: Array((clientLabel + nonce + "\n" + clientNonce).utf8), key: secret.bytes)
    }

    /// The node's MAC over both nonces, proving the node holds the secret too.
    public static func nodeMAC(secret: AuthSecret, nonce: String, clientNonce: String) -> [UInt8] {
        HMACSHA256.authenticate(message: Array((nodeLabel + nonce + "\n" + clientNonce).utf8), key: secret.bytes)
    }

    /// Client side, step 2: the params for `auth.response`. `clientNonce` must be fresh random bytes.
    public static func response(to challenge: AuthChallenge, secret: AuthSecret, clientNonce: [UInt8]) throws(RPCError) -> AuthResponseParams {
        guard challenge.algorithm == algorithm else {
            throw RPCError(.unsupportedVersion, "the node asks for auth algorithm \(String(reflecting: challenge.algorithm)); this client speaks \(algorithm)")
        }
        guard clientNonceByteCounts.contains(clientNonce.count) else {
            throw RPCError(.invalidParams, "a client nonce must be \(clientNonceByteCounts.lowerBound) to \(clientNonceByteCounts.upperBound) bytes")
        }
        let clientHex = Hex.encode(clientNonce)
        return AuthResponseParams(
            clientNonce: clientHex,
            response: Hex.encode(clientMAC(secret: secret, nonce: challenge.nonce, clientNonce: clientHex)))
    }

    /// Client side, step 3: does the node's proof show it holds the secret?
    public static func verifyNode(_ result: AuthResponseResult, challenge: AuthChallenge, sent: AuthResponseParams, secret: AuthSecret) -> Bool {
        guard result.authenticated, let proof = Hex.decode(result.proof) else { return false }
        return constantTimeEquals(proof, nodeMAC(secret: secret, nonce: challenge.nonce, clientNonce: sent.clientNonce))
    }
}

/// Result of `auth.challenge`.
public struct AuthChallenge: Codable, Hashable, Sendable {
    /// 32 random bytes, lowercase hex.
    public var nonce: String
    /// Always "hmac-sha256" in protocol 1.
    public var algorithm: String
    /// "channel.v1" when the node seals the connection after the handshake (`ChannelHandshake`).
    public var channel: String?
    /// The node's ephemeral X25519 public key for the channel, 32 bytes in lowercase hex.
    public var publicKey: String?
    public init(nonce: String, algorithm: String = AuthProof.algorithm, channel: String? = nil, publicKey: String? = nil) {
        self.nonce = nonce
        self.algorithm = algorithm
        self.channel = channel
        self.publicKey = publicKey
    }
    enum CodingKeys: String, CodingKey { case nonce, algorithm, channel, publicKey }

    /// The value `JSONValueEncoder` makes of it, built directly: a TCP node answers one challenge per
    /// connection, and the Codable encoder's generic path was ~2% of such a node's CPU.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["nonce": .string(nonce), "algorithm": .string(algorithm)]
        if let channel { members["channel"] = .string(channel) }
        if let publicKey { members["publicKey"] = .string(publicKey) }
        return .object(members)
    }
}

/// Params of `auth.response`.
public struct AuthResponseParams: Codable, Hashable, Sendable {
    public var clientNonce: String
    public var response: String
    /// The name of the secret the client used (a node's secret file may hold several, each with a
    /// role). Absent: the node tries each of its secrets. It is not covered by the MAC and needs not
    /// be: it only picks which secret the MAC is checked against.
    public var keyId: String?
    /// The client's ephemeral X25519 public key (lowercase hex) on a node that offers the channel.
    public var publicKey: String?
    public init(clientNonce: String, response: String, keyId: String? = nil, publicKey: String? = nil) {
        self.clientNonce = clientNonce
        self.response = response
        self.keyId = keyId
        self.publicKey = publicKey
    }
}

/// Result of `auth.response`.
public struct AuthResponseResult: Codable, Hashable, Sendable {
    public var authenticated: Bool
    /// The node's MAC (see `AuthProof.nodeMAC`), hex.
    public var proof: String
    /// "channel.v1" when every byte after this answer's line is a sealed record.
    public var channel: String?
    public init(authenticated: Bool, proof: String, channel: String? = nil) {
        self.authenticated = authenticated
        self.proof = proof
        self.channel = channel
    }
    enum CodingKeys: String, CodingKey { case authenticated, proof, channel }

    /// The value `JSONValueEncoder` makes of it, built directly (see `AuthChallenge.jsonValue`).
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["authenticated": .bool(authenticated), "proof": .string(proof)]
        if let channel { members["channel"] = .string(channel) }
        return .object(members)
    }
}
