import BerthProtocol

/// What one connection may do: its authentication (TCP's challenge-response) and its principal (the
/// role it holds and who it is), following reloads of the node's secrets. The connection owns one
/// and consults it for every request before anything runs.
struct ConnectionAccess {
    private(set) var auth: AuthSession
    private(set) var principal: Principal
    /// The node's secrets, for a connection that authenticates with one of them (TCP).
    private let secrets: SecretStore?
    /// The generation of the secrets last checked against.
    private var generation: Int
    /// The secret this connection had proven was removed by a reload (for the refusal's words).
    private var withdrawn = false

    /// A connection that needs no secret: its principal's role is its own (a Unix peer's).
    init(preauthorized principal: Principal) {
        self.auth = .preauthorized
        self.principal = principal
        self.secrets = nil
        self.generation = 0
    }

    /// A connection that must prove one of `secrets` first (opening the secure channel with its
    /// proof when `channel`); it then gets that secret's role.
    init(requiring secrets: SecretStore, principal: Principal, channel: Bool = false) {
        let snapshot = secrets.current
        self.auth = AuthSession(requiring: snapshot.keyring, channel: channel)
        self.principal = principal
        self.secrets = secrets
        self.generation = snapshot.generation
    }

    /// nil when `method` may run now; otherwise the `unauthorized` error to answer with. A method
    /// outside the connection's role names the role it needs in `data.requiredRole`; `access` nil
    /// (a method the node does not serve) checks authentication only.
    mutating func authorize(_ method: String, access: MethodAccess?) -> RPCError? {
        followReload()
        if let refusal = auth.authorize(method: method) {
            guard withdrawn else { return refusal }
            return RPCError.unauthorized("the secret this connection authenticated with was removed from the node: authenticate again (auth.challenge, then auth.response) before calling \(method)")
        }
        guard let access, !principal.role.allows(access.role) else { return nil }
        return RPCError(.unauthorized, "\(method) needs the \(access.role) role; this connection has the \(principal.role) role",
                        details: ["requiredRole": .string(access.role.rawValue), "role": .string(principal.role.rawValue)])
    }

    mutating func challenge() throws(RPCError) -> AuthChallenge {
        try auth.challenge()
    }

    /// `auth.response`, checked against the secrets as they are now; on success the connection
    /// takes the role of the secret it proved.
    mutating func respond(_ params: AuthResponseParams) throws(RPCError) -> AuthResponseResult {
        followReload()
        let result = try auth.respond(params)
        if let secret = auth.authenticatedAs {
            principal.role = secret.role
            principal.secretName = secret.name
            withdrawn = false
        }
        return result
    }

    var failedAttempts: Int { auth.failedAttempts }
    var shouldClose: Bool { auth.shouldClose }
    /// The record keys once the connection opened the secure channel (see `AuthSession`).
    var channelKeys: ChannelKeys? { auth.channelKeys }

    /// After SIGHUP replaced the secrets: a connection keeps working while the secret it proved is
    /// still there (with that secret's role as it is now); if it was removed or changed, the
    /// connection must authenticate again. It stays open meanwhile, so a client that has the new
    /// secret re-authenticates without reconnecting, and a removed secret stops working at once.
    private mutating func followReload() {
        // Every request of a TCP connection comes here: the common case reads one integer under
        // the store's lock and copies no ring.
        guard let secrets, secrets.generation != generation else { return }
        let snapshot = secrets.current
        generation = snapshot.generation
        auth.use(snapshot.keyring)
        guard let proven = auth.authenticatedAs else { return }
        if let now = snapshot.keyring.current(proven) {
            principal.role = now.role
        } else {
            auth.revoke()
            principal.secretName = nil
            withdrawn = true
        }
    }
}
