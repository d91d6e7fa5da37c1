/// The few things the node asks of systemd. The first implementation drives `systemctl`
/// (`SystemctlClient`); a later one speaks D-Bus to the manager directly.
public protocol SystemdClient: Sendable {
    /// Re-reads unit files. Callers go through `ReloadCoalescer`, never straight here.
    func daemonReload() async throws(SystemdError)
    /// Starts a unit and waits for its job to finish.
    func start(_ unit: String) async throws(SystemdError)
    /// Stops a unit; `wait: false` only queues the job.
    func stop(_ unit: String, wait: Bool) async throws(SystemdError)
    func restart(_ unit: String) async throws(SystemdError)
    func resetFailed(_ unit: String) async throws(SystemdError)
    /// Properties of many units in one call, keyed by unit name then property name. Units the
    /// manager does not know still answer (`LoadState=not-found`).
    func show(_ units: [String], properties: [String]) async throws(SystemdError) -> [String: [String: String]]
    /// The units the manager has loaded that match a glob (`ctr-*.service`), in any state, with
    /// their states. One cheap call: unlike `show`, it never makes systemd load a unit file, and a
    /// unit that is not loaded is, by systemd's own definition, inactive.
    func listUnits(matching pattern: String) async throws(SystemdError) -> [UnitListing]
    /// The loaded units matching a glob with their states, main PIDs and facts, by name: what
    /// `container.list` needs in one call. The default asks `listUnits`, then `show` of the loaded
    /// ones (only those: `show` of a unit that is not would make systemd load its file, about 13 ms
    /// apiece on a busy machine).
    ///
    /// Runs on the caller's executor (`nonisolated(nonsending)`): the engine asks from its actor for
    /// every `container.list`, and the D-Bus client answers from its cache without suspending, so
    /// leaving the actor and coming back (two trips through the loop's job queue) bought nothing.
    nonisolated(nonsending) func unitStates(matching pattern: String) async throws(SystemdError) -> [String: UnitState]
    /// One unit's states, main PID and facts (`UnitState`), at least as new as anything systemd
    /// reported before the call; nil when systemd has not loaded the unit (so it is inactive, and
    /// has no result to tell). The default asks `show`, which loads the unit to answer.
    func unitState(_ unit: String) async throws(SystemdError) -> UnitState?
}

extension SystemdClient {
    nonisolated(nonsending) public func unitStates(matching pattern: String) async throws(SystemdError) -> [String: UnitState] {
        try await SystemdClientDefaults.unitStates(of: self, matching: pattern)
    }
}

extension SystemdClient {
    public func unitState(_ unit: String) async throws(SystemdError) -> UnitState? {
        try await SystemdClientDefaults.unitState(of: self, unit)
    }
}

enum SystemdClientDefaults {
    static let stateProperties = ["LoadState", "ActiveState", "SubState", "MainPID"]
        + UnitState.serviceFactProperties + UnitState.unitFactProperties

    static func unitState(of client: some SystemdClient, _ unit: String) async throws(SystemdError) -> UnitState? {
        guard let properties = try await client.show([unit], properties: stateProperties)[unit],
              properties["LoadState"] == "loaded" else { return nil }
        var state = UnitState(loadState: "loaded", activeState: properties["ActiveState"] ?? "unknown",
                              subState: properties["SubState"] ?? "", mainPID: properties["MainPID"].flatMap { UInt32($0) } ?? 0)
        state.setFacts(from: properties)
        return state
    }

    static func unitStates(of client: some SystemdClient, matching pattern: String) async throws(SystemdError) -> [String: UnitState] {
        let listed = try await client.listUnits(matching: pattern)
        // Every listed unit is loaded, so `show` reads no unit file: main PIDs and facts in one call.
        let loaded = listed.filter { $0.loadState == "loaded" }.map(\.name)
        let properties = loaded.isEmpty ? [:] : try await client.show(loaded, properties: ["MainPID"]
            + UnitState.serviceFactProperties + UnitState.unitFactProperties)
        var states: [String: UnitState] = [:]
        states.reserveCapacity(listed.count)
        for unit in listed {
            var state = UnitState(loadState: unit.loadState, activeState: unit.activeState, subState: unit.subState,
                                  mainPID: properties[unit.name]?["MainPID"].flatMap { UInt32($0) } ?? 0)
            if let shown = properties[unit.name] { state.setFacts(from: shown) }
            states[unit.name] = state
        }
        return states
    }
}

/// One row of `list-units`: a loaded unit and its states.
public struct UnitListing: Hashable, Sendable {
    public var name: String
    public var loadState: String
    public var activeState: String
    public var subState: String
    public init(name: String, loadState: String, activeState: String, subState: String) {
        self.name = name
        self.loadState = loadState
        self.activeState = activeState
        self.subState = subState
    }
}

/// systemd refused or failed; `message` carries its own words.
public struct SystemdError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
