import BerthCore

/// What the node knows of its containers' units, and the state it last reported for each installed
/// container. Feeding it systemd's unit states yields a container event only when the container's
/// state (started, stopped, errored, idled) actually changes: the transitional states in between
/// (activating, deactivating, reloading) keep the last one, so a start is one `started`, not three.
struct ContainerStates: Sendable {
    /// A container's state as events report it.
    enum Phase: String, Sendable {
        case started, stopped, errored, idled
        var event: EventType {
            switch self {
            case .started: .started
            case .stopped: .stopped
            case .errored: .errored
            case .idled: .idled
            }
        }
    }

    /// What events report for a unit systemd does not have loaded.
    static let gone = UnitState(loadState: "", activeState: "inactive", subState: "dead")

    struct Units: Sendable {
        var service: UnitState?
        /// Socket unit name -> its state (socket-activated containers).
        var sockets: [String: UnitState] = [:]
    }

    /// A change worth an event.
    struct Change: Hashable, Sendable {
        var id: Identifier
        var type: EventType
        var service: UnitState
    }

    private(set) var units: [Identifier: Units] = [:]
    /// Installed containers and the state last reported.
    private(set) var installed: [Identifier: Phase] = [:]

    /// Which container a unit belongs to and how: its service, one of its sockets, or nil for any
    /// other unit (proxies `ctr-<id>@<port>.service` included: their state is not the container's).
    static func classify(_ unit: String) -> (id: Identifier, socket: Bool)? {
        let body: Substring
        let socket: Bool
        if unit.hasSuffix(".service") { body = unit.dropLast(8); socket = false }
        else if unit.hasSuffix(".socket") { body = unit.dropLast(7); socket = true }
        else { return nil }
        guard body.hasPrefix(Identifier.unitPrefix) else { return nil }
        let rest = body.dropFirst(Identifier.unitPrefix.count)
        if socket {
            guard let at = rest.firstIndex(of: "@"), let id = Identifier(rawValue: String(rest[..<at])) else { return nil }
            return (id, true)
        }
        guard !rest.contains("@"), let id = Identifier(rawValue: String(rest)) else { return nil }
        return (id, false)
    }

    /// The container's state from its units; nil while it is between states.
    static func phase(of units: Units?) -> Phase? {
        let service = units?.service ?? Self.gone
        switch service.activeState {
        case "active": return .started
        // A clean stop ends `inactive` (units count the runtime's 143 as success); `failed` is
        // always a failure, as `container.status` says too.
        case "failed": return .errored
        // The main process died and systemd will start it again: that is a crash, not a start.
        case "activating" where service.subState == "auto-restart": return .errored
        case "inactive":
            let sockets = units?.sockets.values.map(\.activeState) ?? []
            if sockets.contains("active") { return .idled }
            if sockets.contains(where: { $0 != "inactive" && $0 != "failed" }) { return nil }
            return .stopped
        default: return nil
        }
    }

    func service(of id: Identifier) -> UnitState { units[id]?.service ?? Self.gone }

    /// The state to report for an installed container now (its last reported one).
    func current(_ id: Identifier) -> Phase? { installed[id] }

    /// Records a unit's new state; a change when it moves an installed container to another state.
    mutating func apply(unit: String, active: String, sub: String) -> Change? {
        guard let (id, socket) = Self.classify(unit) else { return nil }
        let state = UnitState(loadState: "loaded", activeState: active, subState: sub)
        if socket {
            units[id, default: Units()].sockets[unit] = state
        } else {
            units[id, default: Units()].service = state
        }
        return reassess(id)
    }

    /// systemd forgot a unit (UnitRemoved): it is inactive and dead as far as we are concerned.
    mutating func remove(unit: String) -> Change? {
        guard let (id, socket) = Self.classify(unit), units[id] != nil else { return nil }
        if socket { units[id]?.sockets[unit] = nil } else { units[id]?.service = nil }
        return reassess(id)
    }

    private mutating func reassess(_ id: Identifier) -> Change? {
        guard let last = installed[id], let now = Self.phase(of: units[id]), now != last else { return nil }
        installed[id] = now
        return Change(id: id, type: now.event, service: service(of: id))
    }

    /// The engine installed a container: `installed`, then its state if its units already run.
    mutating func install(_ id: Identifier) -> [Change] {
        installed[id] = .stopped
        var changes = [Change(id: id, type: .installed, service: service(of: id))]
        if let change = reassess(id) { changes.append(change) }
        return changes
    }

    /// The engine deleted a container.
    mutating func delete(_ id: Identifier) -> Change? {
        guard installed.removeValue(forKey: id) != nil else { return nil }
        let change = Change(id: id, type: .deleted, service: service(of: id))
        units[id] = nil
        return change
    }

    /// Containers installed before this node started: their state is the epoch's starting point,
    /// not an event.
    mutating func seed(_ ids: [Identifier]) {
        for id in ids where installed[id] == nil { installed[id] = Self.phase(of: units[id]) ?? .stopped }
    }

    /// A full listing of the container units systemd has loaded (after a (re)connect): units not in
    /// it are gone. Changes against what was last reported, unless `silent` (the first listing).
    mutating func resync(_ listed: [(name: String, active: String, sub: String)], silent: Bool) -> [Change] {
        var fresh: [Identifier: Units] = [:]
        for row in listed {
            guard let (id, socket) = Self.classify(row.name) else { continue }
            let state = UnitState(loadState: "loaded", activeState: row.active, subState: row.sub)
            if socket { fresh[id, default: Units()].sockets[row.name] = state } else { fresh[id, default: Units()].service = state }
        }
        units = fresh
        var changes: [Change] = []
        for id in installed.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            if silent {
                installed[id] = Self.phase(of: units[id]) ?? installed[id]
            } else if let change = reassess(id) {
                changes.append(change)
            }
        }
        return changes
    }
}
