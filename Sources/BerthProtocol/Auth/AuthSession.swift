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

    /// `auth.response`: checks the client's MAC against the outstanding nonce and consumes the nonce
    /// whatever the outcome.
    public mutating func respond(_ params: AuthResponseParams) throws(RPCError) -> AuthResponseResult {
        guard case .unauthenticated(let outstanding) = state, let secret else {
            throw RPCError(.conflict, "this connection is already authenticated")
        }
        guard let nonce = outstanding else {
            failedAttempts += 1
            throw RPCError.unauthorized("no outstanding challenge: call auth.challenge first (each nonce is good for one response)")
        }
        state = .unauthenticated(nonce: nil)
        guard let clientNonce = Hex.decode(params.clientNonce), AuthProof.clientNonceByteCounts.contains(clientNonce.count),
              params.clientNonce == params.clientNonce.lowercased()
        else {
            failedAttempts += 1
            throw RPCError.invalidParams("clientNonce must be \(AuthProof.clientNonceByteCounts.lowerBound) to \(AuthProof.clientNonceByteCounts.upperBound) random bytes in lowercase hex", path: "clientNonce")
        }
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
