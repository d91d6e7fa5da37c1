import BerthCore

/// The state the node last reported for each installed container, judged from the unit states the
/// node's one mirror of systemd holds (`UnitStateCache`, read through its `View`). A unit's change
/// yields a container event only when the container's state (started, stopped, errored, idled)
/// actually changes: the transitional states in between (activating, deactivating, reloading) keep
/// the last one, so a start is one `started`, not three.
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

    /// The unit states a judgement reads: the cache's view, or a table in tests.
    typealias Lookup = (String) -> UnitState?

    /// What events report for a unit systemd does not have loaded.
    static let gone = UnitState(loadState: "", activeState: "inactive", subState: "dead")

    /// A change worth an event.
    struct Change: Hashable, Sendable {
        var id: Identifier
        var type: EventType
        var service: UnitState
    }

    /// Installed containers and the state last reported.
    private(set) var installed: [Identifier: Phase] = [:]
    /// The names of each container's loaded socket units (socket-activated containers), so judging
    /// a container looks its sockets up instead of searching every unit.
    private(set) var sockets: [Identifier: Set<String>] = [:]

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

    /// The container's state from its service's and sockets' states; nil while it is between states.
    static func phase(service: UnitState?, sockets: [UnitState]) -> Phase? {
        let service = service ?? Self.gone
        switch service.activeState {
        case "active": return .started
        // A clean stop ends `inactive` (units count the runtime's 143 as success); `failed` is
        // always a failure, as `container.status` says too.
        case "failed": return .errored
        // The main process died and systemd will start it again: that is a crash, not a start.
        case "activating" where service.subState == "auto-restart": return .errored
        case "inactive":
            let states = sockets.map(\.activeState)
            if states.contains("active") { return .idled }
            if states.contains(where: { $0 != "inactive" && $0 != "failed" }) { return nil }
            return .stopped
        default: return nil
        }
    }

    static func serviceUnit(_ id: Identifier) -> String { Identifier.unitPrefix + id.rawValue + ".service" }

    func service(of id: Identifier, _ states: Lookup) -> UnitState { states(Self.serviceUnit(id)) ?? Self.gone }

    func phase(of id: Identifier, _ states: Lookup) -> Phase? {
        Self.phase(service: states(Self.serviceUnit(id)), sockets: (sockets[id] ?? []).compactMap(states))
    }

    /// The state to report for an installed container now (its last reported one).
    func current(_ id: Identifier) -> Phase? { installed[id] }

    /// A unit's states changed (or it was loaded or unloaded); a change when that moves an installed
    /// container to another state.
    mutating func changed(unit: String, _ states: Lookup) -> Change? {
        guard let (id, socket) = Self.classify(unit) else { return nil }
        if socket {
            if states(unit) != nil { sockets[id, default: []].insert(unit) } else { sockets[id]?.remove(unit) }
            if sockets[id]?.isEmpty == true { sockets[id] = nil }
        }
        return reassess(id, states)
    }

    private mutating func reassess(_ id: Identifier, _ states: Lookup) -> Change? {
        guard let last = installed[id], let now = phase(of: id, states), now != last else { return nil }
        installed[id] = now
        return Change(id: id, type: now.event, service: service(of: id, states))
    }

    /// The engine installed a container: `installed`, then its state if its units already run.
    mutating func install(_ id: Identifier, _ states: Lookup) -> [Change] {
        installed[id] = .stopped
        var changes = [Change(id: id, type: .installed, service: service(of: id, states))]
        if let change = reassess(id, states) { changes.append(change) }
        return changes
    }

    /// The engine deleted a container.
    mutating func delete(_ id: Identifier, _ states: Lookup) -> Change? {
        guard installed.removeValue(forKey: id) != nil else { return nil }
        return Change(id: id, type: .deleted, service: service(of: id, states))
    }

    /// Containers installed before this node started: their state is the epoch's starting point,
    /// not an event.
    mutating func seed(_ ids: [Identifier], _ states: Lookup) {
        for id in ids where installed[id] == nil { installed[id] = phase(of: id, states) ?? .stopped }
    }

    /// A new snapshot of every unit (`loaded` names the loaded ones): changes against what was last
    /// reported, unless `silent` (the node's first snapshot, from which the epoch starts).
    mutating func resync(loaded: [String], _ states: Lookup, silent: Bool) -> [Change] {
        sockets = [:]
        for unit in loaded {
            if let (id, socket) = Self.classify(unit), socket { sockets[id, default: []].insert(unit) }
        }
        var changes: [Change] = []
        for id in installed.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            if silent {
                installed[id] = phase(of: id, states) ?? installed[id]
            } else if let change = reassess(id, states) {
                changes.append(change)
            }
        }
        return changes
    }
}
