import BerthDBus

/// One of systemd's signals that a mirror of unit states follows, decoded: the one reading of
/// those message bodies (the node's state cache and event hub switch on this, not on members).
public enum SystemdSignal: Sendable {
    /// `Reloading(b)` from the manager: true when a daemon-reload starts, false when it is done.
    case reloading(Bool)
    /// `UnitNew(s, o)`: systemd loaded the unit (it carries no state).
    case unitNew(String)
    /// `UnitRemoved(s, o)`: systemd unloaded the unit.
    case unitRemoved(String)
    /// `PropertiesChanged` of a unit object.
    case unitChanged(SystemdUnitStateChange)
    /// `JobRemoved(u, o, s, s)`: a job ended.
    case jobRemoved(SystemdJobRemoved)

    /// The signal `message` carries; nil for anything else (a reply, another object's signal, a
    /// body of the wrong shape).
    public init?(_ message: DBusMessage) {
        switch message.member {
        case "Reloading":
            guard message.path == SystemdPath.manager, let active = message.body.first?.boolValue else { return nil }
            self = .reloading(active)
        case "UnitNew", "UnitRemoved":
            guard message.path == SystemdPath.manager, case .string(let name)? = message.body.first else { return nil }
            self = message.member == "UnitNew" ? .unitNew(name) : .unitRemoved(name)
        case "PropertiesChanged":
            guard let path = message.path, path.hasPrefix(SystemdPath.unitPrefix),
                  let change = SystemdUnitStateChange(message) else { return nil }
            self = .unitChanged(change)
        case "JobRemoved":
            guard message.path == SystemdPath.manager, let removed = SystemdJobRemoved(message) else { return nil }
            self = .jobRemoved(removed)
        default:
            return nil
        }
    }
}
