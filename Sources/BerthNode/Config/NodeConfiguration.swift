import BerthCore

/// Everything berthd is told at start-up, from flags and the config file (flags win).
public struct NodeConfiguration: Hashable, Sendable {

    public static let defaultStateDirectory = "/var/lib/berth"
    public static let defaultRunDirectory = "/run/berth"
    public static let defaultConfigFile = "/etc/berth/berthd.conf"

    /// Where to listen. Empty means the default, `unix:<runDirectory>/berthd.sock` (see `effectiveListen`).
    public var listen: [ListenAddress] = []
    public var stateDirectory = NodeConfiguration.defaultStateDirectory
    public var runDirectory = NodeConfiguration.defaultRunDirectory
    /// Where container units are written; nil lets the engine pick by manager mode.
    public var unitDirectory: String?
    public var secretFile: String?
    /// The group (name or number) whose members may use the Unix socket.
    public var group: String?
    /// Unix socket peers in these groups get these roles (`--unix-role GROUP=ROLE`, repeatable).
    public var unixRoles: [UnixRoleMapping] = []
    public var maxConnections = 1024
    /// TCP connections at once; nil: three quarters of `maxConnections`. Always fewer than
    /// `maxConnections`, so the Unix socket (local root) keeps slots no TCP peer can take.
    public var maxTCPConnections: Int?
    /// TCP connections that have not authenticated yet: anyone who can reach the port can hold
    /// one, so they get a small budget of their own, apart from the connections that proved the secret.
    public var maxUnauthenticated = 64
    /// TCP connections from one peer address (authenticated or not), so one host cannot take the whole TCP budget.
    public var maxConnectionsPerAddress = 32
    /// A TCP connection must authenticate within this long of being accepted (a deadline, which
    /// input does not extend, unlike the idle timeout).
    public var authTimeoutSeconds = 5
    /// TCP without the secure channel (`--tcp-plain`): frames after the handshake travel in clear
    /// and unprotected. For tests only; by default every TCP connection must open the channel.
    public var tcpPlain = false
    public var maxLineBytes = 1 << 20
    public var idleTimeoutSeconds = 300
    /// The service manager; nil (`auto`) detects one (`ManagerMode.detect`).
    public var manager: ManagerMode?
    /// The container runtime; nil (`auto`) detects one (`RuntimeConfiguration.resolve`).
    public var runtime: ContainerRuntime?
    /// The runtime CLI; nil searches `PATH` for it (`RuntimeConfiguration.resolve`).
    public var runtimePath: String?
    /// How the node talks to systemd: D-Bus on the private socket (default) or `systemctl`.
    public var systemdClient: SystemdClientKind = .dbus
    public var portRange: ClosedRange<Int>?
    public var logLevel: LogLevel = .info
    /// The bound of each of a container's log files, bytes (`ContainerLogFiles`).
    public var logMaxBytes: Int64 = ContainerLogFiles.defaultMaxBytes
    /// What a loopback link target means (`--link-host-ipv4`, `--link-host-ipv6`): see `LinkHostAddress`.
    public var linkHostIPv4: LinkHostAddress = .auto
    public var linkHostIPv6: LinkHostAddress = .auto
    /// The config file that was read, if any.
    public var configFile: String?

    public init() {}

    /// The listen addresses in effect: the configured ones, or the default Unix socket.
    public var effectiveListen: [ListenAddress] {
        listen.isEmpty ? [.unix(path: runDirectory + "/berthd.sock")] : listen
    }

    /// The default Unix socket path (for clients and the systemd units).
    public var defaultSocketPath: String { runDirectory + "/berthd.sock" }

    /// The TCP budget in effect: `maxTCPConnections`, or three quarters of `maxConnections`.
    public var effectiveMaxTCPConnections: Int { maxTCPConnections ?? maxConnections * 3 / 4 }

    /// Checks settings that depend on each other. A TCP listener needs a secret file and at least
    /// one TCP slot; TCP never gets every slot.
    public func validate() throws(ConfigurationError) {
        let tcp = effectiveListen.contains(where: \.isTCP)
        if tcp && secretFile == nil {
            throw ConfigurationError("a tcp:// listener needs --secret-file: every TCP connection must authenticate with the shared secret")
        }
        if let maxTCPConnections, maxTCPConnections >= maxConnections {
            throw ConfigurationError("--max-tcp-connections (\(maxTCPConnections)) must be less than --max-connections (\(maxConnections)), so the Unix socket keeps slots no TCP peer can take")
        }
        if tcp && effectiveMaxTCPConnections == 0 {
            throw ConfigurationError("--max-connections \(maxConnections) leaves no connection for TCP (it gets three quarters unless --max-tcp-connections says otherwise); raise it")
        }
    }

    /// Applies one setting by its key (the flag name without `--`); `listen` appends.
    public mutating func set(_ key: String, _ value: String) throws(ConfigurationError) {
        func path(_ what: String) throws(ConfigurationError) -> String {
            guard value.hasPrefix("/") else { throw ConfigurationError("\(what) must be an absolute path, got '\(value)'") }
            return value
        }
        func number(_ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
            guard let n = Int(value), range.contains(n) else {
                throw ConfigurationError("--\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(value)'")
            }
            return n
        }
        func choice<E: RawRepresentable & CaseIterable>(_ type: E.Type, orAuto: Bool = false) throws(ConfigurationError) -> E?
        where E.RawValue == String {
            if orAuto && value == "auto" { return nil }
            guard let e = E(rawValue: value) else {
                let all = (E.allCases.map(\.rawValue) + (orAuto ? ["auto"] : [])).joined(separator: "|")
                throw ConfigurationError("--\(key) must be one of \(all), got '\(value)'")
            }
            return e
        }
        switch key {
        case "listen": listen.append(try ListenAddress(parsing: value))
        case "state-dir": stateDirectory = try path("--state-dir")
        case "run-dir": runDirectory = try path("--run-dir")
        case "unit-dir": unitDirectory = try path("--unit-dir")
        case "secret-file": secretFile = try path("--secret-file")
        case "group":
            guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
                throw ConfigurationError("--group must be a group name or number, got '\(value)'")
            }
            group = value
        case "unix-role": unixRoles.append(try UnixRoleMapping(parsing: value))
        case "max-connections": maxConnections = try number(1...1_000_000)
        case "max-tcp-connections": maxTCPConnections = try number(1...1_000_000)
        case "max-unauthenticated": maxUnauthenticated = try number(1...1_000_000)
        case "max-connections-per-address": maxConnectionsPerAddress = try number(1...1_000_000)
        case "auth-timeout": authTimeoutSeconds = try number(1...3_600)
        case "tcp-plain":
            guard value == "true" || value == "false" else { throw ConfigurationError("--tcp-plain must be true or false, got '\(value)'") }
            tcpPlain = value == "true"
        case "max-line-bytes": maxLineBytes = try number(1024...(256 << 20))
        case "log-max-bytes": logMaxBytes = Int64(try number(Int(ContainerLogFiles.minimumMaxBytes)...(1 << 40)))
        case "idle-timeout": idleTimeoutSeconds = try number(1...86_400)
        case "manager": manager = try choice(ManagerMode.self, orAuto: true)
        case "runtime": runtime = try choice(ContainerRuntime.self, orAuto: true)
        case "runtime-path": runtimePath = try path("--runtime-path")
        case "link-host-ipv4": linkHostIPv4 = try LinkHostAddress(parsing: value, family: .ipv4)
        case "link-host-ipv6": linkHostIPv6 = try LinkHostAddress(parsing: value, family: .ipv6)
        case "systemd-client": systemdClient = try choice(SystemdClientKind.self) ?? systemdClient  // never nil without orAuto
        case "log-level": logLevel = try choice(LogLevel.self) ?? logLevel  // never nil without orAuto
        case "port-range":
            let parts = value.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), 1 <= a, a <= b, b <= 65535 else {
                throw ConfigurationError("--port-range must be A-B with 1 <= A <= B <= 65535, got '\(value)'")
            }
            portRange = a...b
        default:
            throw ConfigurationError("unknown setting '\(key)'")
        }
    }

    /// Every key `set` accepts; all take a value.
    public static let keys: [String] = [
        "listen", "state-dir", "run-dir", "unit-dir", "secret-file", "group", "unix-role", "max-connections", "max-tcp-connections",
        "max-unauthenticated", "max-connections-per-address", "auth-timeout", "max-line-bytes", "idle-timeout", "manager",
        "runtime", "runtime-path", "systemd-client", "port-range", "log-level", "log-max-bytes", "link-host-ipv4", "link-host-ipv6",
        "tcp-plain",
    ]
}
