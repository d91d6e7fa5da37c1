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
        case authenticated
    }

    private var state: State
    private let secret: AuthSecret?
    public private(set) var failedAttempts = 0

    /// A connection that must authenticate with `secret`.
    public init(requiring secret: AuthSecret) {
        self.secret = secret
        self.state = .unauthenticated(nonce: nil)
    }

    /// A connection authorized by other means (Unix socket peer credentials).
    public static var preauthorized: AuthSession { AuthSession() }

    private init() {
        self.secret = nil
        self.state = .authenticated
    }

    public var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// True once too many wrong responses arrived: send the error, then close.
    public var shouldClose: Bool { failedAttempts >= AuthSession.maxFailedAttempts }

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
        return AuthChallenge(nonce: nonce)
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
        return nil
    }

    /// `auth.response`: checks the client's MAC against the outstanding nonce and consumes the nonce
    /// whatever the outcome.
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
        guard case .unauthenticated(let outstanding) = state, let secret else {
            throw RPCError(.conflict, "this connection is already authenticated")
        }
        guard let nonce = outstanding else {
            failedAttempts += 1
            throw RPCError.unauthorized("no outstanding challenge: call auth.challenge first (each nonce is good for one response)")
        }
        state = .unauthenticated(nonce: nil)
        let expected = AuthProof.clientMAC(secret: secret, nonce: nonce, clientNonce: params.clientNonce)
        guard let given = Hex.decode(params.response), constantTimeEquals(given, expected) else {
            failedAttempts += 1
            throw RPCError.unauthorized("authentication failed: the response does not match (wrong secret?)")
        }
        state = .authenticated
        return AuthResponseResult(
            authenticated: true,
            proof: Hex.encode(AuthProof.nodeMAC(secret: secret, nonce: nonce, clientNonce: params.clientNonce)))
    }
}
