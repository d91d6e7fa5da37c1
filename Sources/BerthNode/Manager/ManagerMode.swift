import BerthSystem

/// Which systemd manager runs the node's containers.
public enum ManagerMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// The host's system manager (root, systemd is PID 1); units in /etc/systemd/system.
    case system
    /// The invoking user's manager (`systemctl --user` reachable).
    case user
    /// A private manager berthd starts, owns and stops itself (hosts without a usable systemd).
    case embedded

    /// The mode for this host: `system` when PID 1 is systemd and we are root, `user` when a user
    /// manager answers on `$XDG_RUNTIME_DIR/systemd/private`, else `embedded`.
    public static func detect(environment: [String: String] = ProcessRequest.inheritedEnvironment) -> ManagerMode {
        // sd_booted(): systemd creates this directory only when it is PID 1.
        if Processes.currentUserID == 0, FileSystem.exists("/run/systemd/system"), pid1IsSystemd() { return .system }
        if let xdg = environment["XDG_RUNTIME_DIR"], !xdg.isEmpty, FileSystem.exists("\(xdg)/systemd/private") {
            return .user
        }
        return .embedded
    }

    static func pid1IsSystemd() -> Bool {
        guard let bytes = try? FileSystem.read("/proc/1/comm", limit: 64) else { return false }
        return String(decoding: bytes, as: UTF8.self).hasPrefix("systemd")
    }
}
