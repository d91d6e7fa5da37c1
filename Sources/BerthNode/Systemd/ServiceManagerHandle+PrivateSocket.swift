import BerthSystem

extension ServiceManagerHandle {
    /// The manager's private peer-to-peer D-Bus socket: `$XDG_RUNTIME_DIR/systemd/private` of a user
    /// or embedded manager, `/run/systemd/private` of the system one. Only root (system) or the
    /// manager's own user may connect.
    public var privateSocket: String {
        guard userScope else { return "/run/systemd/private" }
        return "\(environment["XDG_RUNTIME_DIR"] ?? "/run/user/\(Processes.currentUserID)")/systemd/private"
    }
}
