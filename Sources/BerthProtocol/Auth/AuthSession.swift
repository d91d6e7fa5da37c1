/// The node's per-connection auth state machine (pure; the connection owns one).
///
/// Connections that need no challenge (the Unix socket, where the peer's uid was checked) start
/// authenticated. Others allow only `methodsAllowedBeforeAuth` until `auth.response` succeeds.
public struct AuthSession: Sendable {
    /// After this many wrong responses the connection should be closed.
    public static let maxFailedAttempts = 3
    /// `node.hello` stays open so a client learns the protocol version (and that auth is needed)
    /// before it authenticates; it reveals only the node's version and hostname.
    public static let methodsAllowedBeforeAuth: Set<String> = [
        MethodName.nodeHello.rawValue, MethodName.authChallenge.rawValue, MethodName.authResponse.rawValue,
    ]

    private enum State: Sendable {
        case unauthenticated(nonce: String?)
        /// With the secret that was proven (nil: authorized by other means).
        case authenticated(NamedSecret?)
    }

    private var state: State
    private var keyring: AuthKeyring?
    public private(set) var failedAttempts = 0
    /// Whether the connection must open the secure channel (`ChannelHandshake`) with its response.
    public let requiresChannel: Bool
    /// The ephemeral key pair of the outstanding challenge (channel connections only).
    private var ephemeral: (privateKey: [UInt8], publicKey: String)?
    /// The record keys, once a channel connection authenticated: every byte after the
    /// `auth.response` line (in) and after its answer's line (out) is a record under them.
    public private(set) var channelKeys: ChannelKeys?

    /// A connection that must authenticate with `secret` (a ring of that one secret, `admin`), and
    /// with `channel` open the secure channel.
    public init(requiring secret: AuthSecret, channel: Bool = false) {
        self.init(requiring: AuthKeyring(single: secret), channel: channel)
    }

    /// A connection that must authenticate with one of the secrets of `keyring`, and with
    /// `channel` open the secure channel.
    public init(requiring keyring: AuthKeyring, channel: Bool = false) {
        self.keyring = keyring
        self.state = .unauthenticated(nonce: nil)
        self.requiresChannel = channel
    }

    /// A connection authorized by other means (Unix socket peer credentials).
    public static var preauthorized: AuthSession { AuthSession() }

    private init() {
        self.keyring = nil
        self.state = .authenticated(nil)
        self.requiresChannel = false
    }

    public var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// The secret this connection proved it holds, once it has.
    public var authenticatedAs: NamedSecret? {
        if case .authenticated(let secret) = state { return secret }
        return nil
    }

    /// The secrets a later `auth.response` is checked against (the node's file was reloaded).
    public mutating func use(_ keyring: AuthKeyring) {
        if self.keyring != nil { self.keyring = keyring }
    }

    /// The secret this connection authenticated with was withdrawn: the connection must
    /// authenticate again (with a secret the node still holds) before anything else runs.
    public mutating func revoke() {
        if keyring != nil { state = .unauthenticated(nonce: nil) }
    }

    /// True once too many wrong responses arrived: send the error, then close. On a channel
    /// connection one is enough: records the client sent behind its response cannot be read.
    public var shouldClose: Bool { failedAttempts >= (requiresChannel ? 1 : AuthSession.maxFailedAttempts) }

    /// nil when `method` may run now; otherwise the `unauthorized` error to answer with.
    public func authorize(method: String) -> RPCError? {
        if isAuthenticated || AuthSession.methodsAllowedBeforeAuth.contains(method) { return nil }
        return RPCError.unauthorized("this connection must authenticate first (auth.challenge, then auth.response) before calling \(method)")
    }

    /// `auth.challenge`: a fresh nonce, replacing any earlier unanswered one.
    public mutating func challenge<G: RandomNumberGenerator>(using generator: inout G) throws(RPCError) -> AuthChallenge {
        guard case .unauthenticated = state else {
            throw RPCError(.conflict, "this connection is already authenticated")
        }
        let nonce = Hex.encode(generator.bytes(AuthProof.nonceByteCount))
        state = .unauthenticated(nonce: nonce)
        guard requiresChannel else { return AuthChallenge(nonce: nonce) }
        let pair = try ChannelHandshake.ephemeralKeyPair()
        ephemeral = (pair.privateKey, Hex.encode(pair.publicKey))
        return AuthChallenge(nonce: nonce, channel: ChannelHandshake.version, publicKey: ephemeral!.publicKey)
    }

    /// `auth.challenge` with the system's secure generator.
    public mutating func challenge() throws(RPCError) -> AuthChallenge {
        var generator = SystemRandomNumberGenerator()
        return try challenge(using: &generator)
    }

    /// What is wrong with the shape of `params` (clientNonce: 16 to 64 bytes, response: 32 bytes,
    /// both in lowercase hex), or nil.
    static func problem(with params: AuthResponseParams) -> (message: String, path: String)? {
        func isLowerHex(_ text: String) -> Bool {
            text.utf8.count % 2 == 0 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }
        let counts = AuthProof.clientNonceByteCounts
        if !isLowerHex(params.clientNonce) || !counts.contains(params.clientNonce.utf8.count / 2) {
            return ("clientNonce must be \(counts.lowerBound) to \(counts.upperBound) random bytes in lowercase hex", "clientNonce")
        }
        if !isLowerHex(params.response) || params.response.utf8.count != 2 * SHA256.digestByteCount {
            return ("response must be the \(SHA256.digestByteCount)-byte HMAC-SHA256 in lowercase hex", "response")
        }
        if let keyId = params.keyId, !AuthKeyring.isValidName(keyId) {
            return ("keyId must be 1 to \(AuthKeyring.maximumNameLength) of A-Z a-z 0-9 . _ -", "keyId")
        }
        if let key = params.publicKey, !ChannelHandshake.isPublicKey(key) {
            return ("publicKey must be a \(ChannelHandshake.keyByteCount)-byte X25519 public key in lowercase hex", "publicKey")
        }
        return nil
    }

    /// `auth.response`: checks the client's MAC against the outstanding nonce and consumes the nonce
    /// whatever the outcome. `keyId`, when sent, names the secret to check against.
    public mutating func respond(_ params: AuthResponseParams) throws(RPCError) -> AuthResponseResult {
        // Malformed params are invalid_params whatever the state (the contract's patterns); on a
        // connection still to authenticate they count as a failure and use up any outstanding nonce.
        if let problem = AuthSession.problem(with: params) {
            if case .unauthenticated = state {
                state = .unauthenticated(nonce: nil)
                failedAttempts += 1
            }
            throw RPCError.invalidParams(problem.message, path: problem.path)
        }
        guard case .unauthenticated(let outstanding) = state, let keyring else {
            throw RPCError(.conflict, "this connection is already authenticated")
        }
        guard let nonce = outstanding else {
            failedAttempts += 1
            throw RPCError.unauthorized("no outstanding challenge: call auth.challenge first (each nonce is good for one response)")
        }
        state = .unauthenticated(nonce: nil)
        let ephemeral = self.ephemeral
        self.ephemeral = nil
        guard requiresChannel == (params.publicKey != nil) else {
            failedAttempts += 1
            throw requiresChannel
                ? RPCError(.unsupportedVersion, "this node requires the secure channel \(ChannelHandshake.version) on TCP: send publicKey with auth.response (docs/protocol.md); plain TCP only with berthd --tcp-plain")
                : RPCError(.unsupportedVersion, "this node runs without the secure channel (berthd --tcp-plain): send auth.response without publicKey")
        }
        // The channel's MAC covers both public keys (`ChannelHandshake`); the plain one the nonces.
        var transcript: [UInt8]?
        if let clientKey = params.publicKey, let ephemeral {
            transcript = ChannelHandshake.transcript(nonce: nonce, clientNonce: params.clientNonce, nodeKey: ephemeral.publicKey, clientKey: clientKey)
        }
        let mac: (AuthSecret) -> [UInt8] = { secret in
            if let transcript { return ChannelHandshake.clientMAC(secret: secret, transcript: transcript) }
            return AuthProof.clientMAC(secret: secret, nonce: nonce, clientNonce: params.clientNonce)
        }
        guard let given = Hex.decode(params.response), let matched = AuthSession.match(given, keyId: params.keyId, keyring: keyring, mac: mac) else {
            failedAttempts += 1
            // The same answer for an unknown keyId as for a wrong MAC: no oracle for which names exist.
            throw RPCError.unauthorized("authentication failed: the response does not match (wrong secret or keyId?)")
        }
        if let transcript, let ephemeral, let clientKey = params.publicKey {
            do throws(RPCError) {
                let keys = try ChannelHandshake.keys(secret: matched.secret, privateKey: ephemeral.privateKey,
                                                     peerKey: Hex.decode(clientKey) ?? [], transcript: transcript)
                // Authenticating again on an open channel (a withdrawn secret) keeps its first keys.
                if channelKeys == nil { channelKeys = keys }
            } catch {
                failedAttempts += 1
                throw error
            }
            state = .authenticated(matched)
            return AuthResponseResult(authenticated: true, proof: Hex.encode(ChannelHandshake.nodeMAC(secret: matched.secret, transcript: transcript)),
                                      channel: ChannelHandshake.version)
        }
        state = .authenticated(matched)
        return AuthResponseResult(
            authenticated: true,
            proof: Hex.encode(AuthProof.nodeMAC(secret: matched.secret, nonce: nonce, clientNonce: params.clientNonce)))
    }

    /// The secret whose MAC equals `given`: the one named `keyId`, or without one any of the ring.
    /// Every candidate is computed and compared in full, and an unknown `keyId` costs one MAC like a
    /// known one, so the time taken says nothing about which secret matched or which names exist.
    static func match(_ given: [UInt8], keyId: String?, keyring: AuthKeyring, mac: (AuthSecret) -> [UInt8]) -> NamedSecret? {
        let candidates = keyId.map { id in keyring.entries.filter { $0.name == id } } ?? keyring.entries
        if candidates.isEmpty {
            _ = constantTimeEquals(given, mac(keyring.entries[0].secret))
            return nil
        }
        var matched: NamedSecret?
        for candidate in candidates {
            let equal = constantTimeEquals(given, mac(candidate.secret))
            if equal { matched = candidate }
        }
        return matched
    }
}
