import BerthDBus

/// systemd's D-Bus names, spelled here once: the node's systemd client, its state cache and the
/// event hub all say `SystemdInterface.unit`, never the string.
public enum SystemdInterface {
    /// The manager's well-known name on a bus (a peer-to-peer connection needs none).
    public static let busName = "org.freedesktop.systemd1"
    public static let manager = "org.freedesktop.systemd1.Manager"
    /// What every unit has: `LoadState`, `ActiveState`, `SubState`, ...
    public static let unit = "org.freedesktop.systemd1.Unit"
    /// What a service adds: `MainPID`, `Result`, ...
    public static let service = "org.freedesktop.systemd1.Service"
    /// The interface of a unit type (`service` -> `org.freedesktop.systemd1.Service`).
    public static func ofType(_ capitalizedType: String) -> String { "org.freedesktop.systemd1." + capitalizedType }

    /// D-Bus's own interfaces that systemd's objects implement.
    public static let properties = "org.freedesktop.DBus.Properties"
    public static let peer = "org.freedesktop.DBus.Peer"
}
