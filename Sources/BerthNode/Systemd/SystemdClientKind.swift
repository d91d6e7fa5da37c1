import BerthCore

/// Which `SystemdClient` the node uses (`--systemd-client`, config key `systemd-client`).
public enum SystemdClientKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// D-Bus on the manager's private socket (`DBusSystemdClient`), the default.
    case dbus
    /// The `systemctl` CLI (`SystemctlClient`), kept for comparison and as a fallback.
    case systemctl

    /// A client of this kind for the manager `handle` reaches. The D-Bus one is `mirror` (the node's
    /// D-Bus client, whose cache the event hub observes too) or a new one with a cache of the
    /// container units' states (`UnitStateCache.containerUnits()`) for `container.list`.
    public func client(for handle: ServiceManagerHandle, mirror: DBusSystemdClient? = nil) -> any SystemdClient {
        switch self {
        case .dbus: mirror ?? DBusSystemdClient(handle: handle, cache: .containerUnits())
        case .systemctl: SystemctlClient(handle: handle)
        }
    }
}
