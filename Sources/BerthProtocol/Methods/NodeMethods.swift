/// Params of `node.hello`.
public struct HelloParams: Codable, Hashable, Sendable {
    /// The protocol majors the client speaks.
    public var protocols: [Int]
    /// A free-form client name and version, for the node's log ("berth/0.1").
    public var client: String?
    public init(protocols: [Int] = [ProtocolVersion.current], client: String? = nil) {
        self.protocols = protocols
        self.client = client
    }
}

/// Who a node is: its software version and host name.
public struct NodeIdentity: Codable, Hashable, Sendable {
    public var version: String
    public var hostname: String
    public init(version: String, hostname: String) {
        self.version = version
        self.hostname = hostname
    }
}

/// Result of `node.hello`.
public struct HelloResult: Codable, Hashable, Sendable {
    /// The chosen major version; the rest of the connection speaks it.
    public var `protocol`: Int
    public var node: NodeIdentity
    public var capabilities: [String]
    /// True when this connection must pass `auth.challenge`/`auth.response` before other methods.
    public var authRequired: Bool
    public init(protocol: Int, node: NodeIdentity, capabilities: [String], authRequired: Bool = false) {
        self.protocol = `protocol`
        self.node = node
        self.capabilities = capabilities
        self.authRequired = authRequired
    }
}

/// Optional features a node announces in `node.hello` and `node.info`. Clients must ignore names they
/// do not know.
public enum Capability {
    public static let batches = "batches"
    public static let events = "events"
    public static let idempotentRequests = "request-ids"
    public static let authHMACSHA256 = "auth.hmac-sha256"
    /// TCP connections are sealed after the handshake (`ChannelHandshake`), and must be.
    public static let secureChannel = ChannelHandshake.version
    public static let socketActivation = "socket-activation"
    public static let links = "links"
    public static let ipv6Links = "links.ipv6"
}

/// Result of `node.info`.
public struct NodeInfo: Codable, Hashable, Sendable {
    public var version: String
    public var hostname: String
    /// The node's IP addresses (no loopback), for building links from other hosts.
    public var addresses: [String]
    /// The protocol majors the node serves.
    public var protocols: [Int]
    public var capabilities: [String]
    public var uptimeSeconds: Int64
    /// "system" (root's systemd), "user" (a user manager) or "embedded" (a private manager the node runs).
    public var managerMode: String
    /// "podman" or "docker".
    public var runtime: String
    /// The node's state directory (containers, ports, request records).
    public var stateDir: String
    /// The absolute path of each program the container units run, by role (`runtime`, `podmanAPI`,
    /// `remove`, `shell`, `env`, `socketProxy`, `berthd`), as found when the node started.
    public var tools: [String: String]?
    /// The role of the connection that asked: "read", "operate" or "admin".
    public var role: String?
    public init(version: String, hostname: String, addresses: [String], protocols: [Int], capabilities: [String],
                uptimeSeconds: Int64, managerMode: String, runtime: String, stateDir: String, tools: [String: String]? = nil,
                role: String? = nil) {
        self.tools = tools
        self.role = role
        self.version = version
        self.hostname = hostname
        self.addresses = addresses
        self.protocols = protocols
        self.capabilities = capabilities
        self.uptimeSeconds = uptimeSeconds
        self.managerMode = managerMode
        self.runtime = runtime
        self.stateDir = stateDir
    }
}

/// Params of `node.ping`; `echo` comes back unchanged (round-trip and payload-size tests).
public struct PingParams: Codable, Hashable, Sendable {
    public var echo: JSONValue?
    public init(echo: JSONValue? = nil) { self.echo = echo }
}

/// Result of `node.ping`.
public struct PingResult: Codable, Hashable, Sendable {
    public var pong: Bool
    public var echo: JSONValue?
    public init(echo: JSONValue? = nil) {
        self.pong = true
        self.echo = echo
    }

    /// The result value for a ping without echo, prebuilt for the hot path.
    public static let plainValue: JSONValue = .object(["pong": .bool(true)])

    /// Answers `node.ping` straight from its params, without Codable (the benchmark's hot path):
    /// the same checks `decodeParams(PingParams.self)` makes.
    public static func respond(to params: JSONValue?) throws(RPCError) -> JSONValue {
        switch params {
        case nil:
            return plainValue
        case .object(let members)?:
            if members.isEmpty { return plainValue }
            if let unknown = members.keys.sorted().first(where: { $0 != "echo" }) {
                throw RPCError.invalidParams("unknown key \(String(reflecting: unknown))", path: unknown)
            }
            return .object(["pong": .bool(true), "echo": members["echo"]!])
        default:
            throw RPCError.invalidParams("node.ping takes named parameters (an object), not an array")
        }
    }
}
