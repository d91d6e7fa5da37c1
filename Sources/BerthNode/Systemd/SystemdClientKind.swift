import BerthCore

/// Which `SystemdClient` the node uses (`--systemd-client`, config key `systemd-client`).
public enum SystemdClientKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// D-Bus on the manager's private socket (`DBusSystemdClient`), the default.
    case dbus
    /// The `systemctl` CLI (`SystemctlClient`), kept for comparison and as a fallback.
    case systemctl

    /// A client of this kind for the manager `handle` reaches; the D-Bus one keeps a cache of the
    /// container units' states (`ctr-*.service`) for `container.list`.
    public func client(for handle: ServiceManagerHandle) -> any SystemdClient {
        switch self {
        case .dbus: DBusSystemdClient(handle: handle, cache: UnitStateCache(prefix: Identifier.unitPrefix))
        case .systemctl: SystemctlClient(handle: handle)
        }
    }
}
