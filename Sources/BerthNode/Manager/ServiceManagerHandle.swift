import BerthCore

/// How to reach one systemd manager: the `systemctl` environment and scope, where its units live
/// and which target the shared Berth targets hang from.
public struct ServiceManagerHandle: Hashable, Sendable {
    public var mode: ManagerMode
    /// The directory Berth writes its unit files into.
    public var unitDir: String
    /// The environment every `systemctl` call gets (nothing else is inherited).
    public var environment: [String: String]
    /// `systemctl --user` rather than the system scope.
    public var userScope: Bool
    /// What `berth.target` is `WantedBy=`.
    public var rootTarget: String

    public init(mode: ManagerMode, unitDir: String, environment: [String: String], userScope: Bool, rootTarget: String) {
        self.mode = mode
        self.unitDir = unitDir
        self.environment = environment
        self.userScope = userScope
        self.rootTarget = rootTarget
    }

    /// The host's system manager.
    public static func system() -> ServiceManagerHandle {
        ServiceManagerHandle(mode: .system, unitDir: "/etc/systemd/system",
                             environment: ["PATH": ServiceManagerHandle.path], userScope: false,
                             rootTarget: "multi-user.target")
    }

    /// The calling user's manager; units go to `$XDG_CONFIG_HOME/systemd/user` (default
    /// `~/.config/systemd/user`), which a user manager searches. `SYSTEMD_UNIT_PATH` is passed on
    /// so client-side lookups agree with a manager started with it (Scripts/lib/manager.sh).
    public static func user(environment: [String: String]) -> ServiceManagerHandle {
        var env = ["PATH": ServiceManagerHandle.path]
        for key in ["XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "HOME", "DBUS_SESSION_BUS_ADDRESS", "SYSTEMD_UNIT_PATH"] {
            if let value = environment[key] { env[key] = value }
        }
        let config = environment["XDG_CONFIG_HOME"] ?? "\(environment["HOME"] ?? "/root")/.config"
        return ServiceManagerHandle(mode: .user, unitDir: "\(config)/systemd/user", environment: env,
                                    userScope: true, rootTarget: "default.target")
    }

    static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}
