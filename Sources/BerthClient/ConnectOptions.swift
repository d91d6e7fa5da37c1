import BerthProtocol

/// How `NodeClient` connects: timeouts, version negotiation and TCP authentication.
public struct ConnectOptions: Sendable {
    /// How long connecting (and the opening handshake) may take.
    public var connectTimeout: Duration
    /// The timeout of calls that do not pass their own; nil waits for ever.
    public var callTimeout: Duration?
    /// Whether to open with `node.hello` on a Unix socket (TCP always does).
    public var hello: Bool
    /// The shared secret for TCP nodes.
    public var secret: AuthSecret?
    /// Sent in `node.hello` for the node's logs.
    public var clientName: String
    /// TCP without the secure channel (`berth --tcp-plain`): for tests against `berthd --tcp-plain` only.
    public var tcpPlain = false
    /// The ssh program for `ssh://` nodes (a name found on PATH, or a path).
    public var sshCommand = "ssh"
    /// What runs on the remote host: a bridge to its node's Unix socket.
    public var sshRemoteCommand = ["berth", "bridge"]

    public init(connectTimeout: Duration = .seconds(5), callTimeout: Duration? = .seconds(30), hello: Bool = false,
                secret: AuthSecret? = nil, clientName: String = "berth/0.1") {
        self.connectTimeout = connectTimeout
        self.callTimeout = callTimeout
        self.hello = hello
        self.secret = secret
        self.clientName = clientName
    }
}
