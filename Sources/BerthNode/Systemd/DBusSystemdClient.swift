import BerthDBus
import BerthSystemd

/// `SystemdClient` over D-Bus on the manager's private socket (`ServiceManagerHandle.privateSocket`):
/// no process per call, one connection shared by every caller, calls pipelined on it.
///
/// Jobs (start, stop, restart) are tracked to their end: the client listens for JobRemoved before it
/// queues the job and returns when that job's signal arrives; any result but `done` is an error naming
/// the unit and the result. If the connection drops (the manager restarted, or was re-executed), the
/// next call reconnects, waiting up to `reconnectWindow` for the socket to come back, and the call
/// that saw the drop is retried once.
public final class DBusSystemdClient: SystemdClient {
    /// The private socket this client connects to.
    public let socketPath: String
    /// How long a job (start, stop, restart) may take before the call fails.
    public let jobTimeout: Duration
    /// How long `daemonReload` and other calls wait for their reply.
    public let callTimeout: Duration
    /// How long a reconnect keeps trying after the connection dropped.
    public let reconnectWindow: Duration
    /// Fed from this client's connection; answers `listUnits(matching: cache.pattern)` and `show` of
    /// `MainPID` without asking systemd once its snapshot is in.
    public let cache: UnitStateCache?
    let slot: SystemdBusSlot

    /// A client of the manager at `socketPath`. Nothing connects until the first call.
    public init(socketPath: String, cache: UnitStateCache? = nil, jobTimeout: Duration = .seconds(120),
                callTimeout: Duration = .seconds(120), reconnectWindow: Duration = .seconds(10)) {
        self.socketPath = socketPath
        self.cache = cache
        self.jobTimeout = jobTimeout
        self.callTimeout = callTimeout
        self.reconnectWindow = reconnectWindow
        self.slot = SystemdBusSlot(socketPath: socketPath, handlers: cache.map { cache in [{ bus in cache.follow(bus) }] } ?? [])
    }

    /// A client of the manager `handle` reaches, on its private socket.
    public convenience init(handle: ServiceManagerHandle, cache: UnitStateCache? = nil) {
        self.init(socketPath: handle.privateSocket, cache: cache)
    }

    /// The current connection, connecting if needed (for callers that want signals of their own).
    public func bus() async throws(SystemdError) -> SystemdManagerBus {
        do { return try await slot.bus(window: .zero).bus } catch { throw SystemdError("connecting to systemd at \(socketPath): \(error)") }
    }

    /// Closes the connection; the next call opens a new one.
    public func close() async { await slot.drop(generation: nil) }

    public func daemonReload() async throws(SystemdError) {
        let timeout = callTimeout
        let cache = cache
        try await withBus("daemon-reload") { bus in
            try await bus.reload(timeout: timeout)
            // Read your writes: a listing after this call sees the reloaded state, the units the
            // reload unloaded (a deleted container's) gone. Only the reply's serial is known here,
            // and the cache counts signals, so it takes a snapshot of its own instead of waiting.
            await cache?.refresh(on: bus)
        }
    }

    public func start(_ unit: String) async throws(SystemdError) { try await runJob(.start, unit) }

    public func stop(_ unit: String, wait: Bool) async throws(SystemdError) {
        if wait { return try await runJob(.stop, unit) }
        try await withBus("stop \(unit)") { _ = try await $0.stopUnit(unit) }
    }

    public func restart(_ unit: String) async throws(SystemdError) { try await runJob(.restart, unit) }

    public func resetFailed(_ unit: String) async throws(SystemdError) {
        let timeout = callTimeout
        try await withBus("reset-failed \(unit)") { bus in
            _ = try await bus.connection.call(path: SystemdPath.manager, interface: SystemdInterface.manager,
                                              member: "ResetFailedUnit", body: [.string(unit)], timeout: timeout)
        }
    }

    public func show(_ units: [String], properties: [String]) async throws(SystemdError) -> [String: [String: String]] {
        // A unit the cache does not have loaded has no main process: the same answer systemd gives.
        if let cache, Set(properties).isSubset(of: ["MainPID", "Id"]), units.allSatisfy(cache.covers),
           let states = cache.states(units) {
            return Dictionary(uniqueKeysWithValues: units.map { unit in
                (unit, ["Id": unit, "MainPID": "\((states[unit] ?? nil)?.mainPID ?? 0)"])
            })
        }
        let wanted = Array(Set(properties + ["Id"])).sorted()
        let what = units.count == 1 ? "show \(units[0])" : "show \(units.count) units"
        return try await withBus(what) { bus in try await DBusSystemdClient.show(units, wanted, on: bus) }
    }

    public func listUnits(matching pattern: String) async throws(SystemdError) -> [UnitListing] {
        if let cache, pattern == cache.pattern, let listing = cache.listing() { return listing }
        return try await withBus("list-units \(pattern)") { bus in
            try await bus.listUnitsByPatterns(patterns: [pattern]).map {
                UnitListing(name: $0.name, loadState: $0.loadState, activeState: $0.activeState, subState: $0.subState)
            }
        }
    }

    nonisolated(nonsending) public func unitStates(matching pattern: String) async throws(SystemdError) -> [String: UnitState] {
        if let cache, pattern == cache.pattern, let states = cache.loadedStates() { return states }
        return try await SystemdClientDefaults.unitStates(of: self, matching: pattern)
    }

    /// From the cache once its snapshot is in: first `catchUp` (one Ping on the connection), so a
    /// change systemd made behind the node's back (a killed process) is in the answer, as it would
    /// be in a `show`.
    public func unitState(_ unit: String) async throws(SystemdError) -> UnitState? {
        if let cache, cache.covers(unit), cache.isReady {
            await cache.catchUp()
            if let states = cache.states([unit]) { return states[unit] ?? nil }
        }
        return try await SystemdClientDefaults.unitState(of: self, unit)
    }

    // MARK: Jobs

    func runJob(_ operation: SystemdManagerBus.JobOperation, _ unit: String) async throws(SystemdError) {
        let verb = switch operation {
        case .start: "start"
        case .stop: "stop"
        case .restart: "restart"
        }
        let timeout = jobTimeout
        // A restart whose connection dropped may or may not have happened (a restarted manager forgets
        // its queued jobs): a start afterwards leaves the unit running either way, never restarts it twice.
        let retry: SystemdManagerBus.JobOperation = operation == .restart ? .start : operation
        let (removed, serial) = try await withBus("\(verb) \(unit)", body: { bus in
            try await bus.runJobInOrder(operation, unit: unit, timeout: timeout)
        }, retry: { bus in
            try await bus.runJobInOrder(retry, unit: unit, timeout: timeout)
        })
        // Read your writes: a listing after this call sees what the job did.
        await cache?.waitUntilApplied(serial)
        guard removed.result == "done" else {
            var why = "job \(removed.result)"
            if unit.hasSuffix(".service"), let bus = try? await slot.bus(window: .zero).bus,
               let result = try? await bus.property(path: SystemdPath.unitPath(unit), interface: SystemdInterface.service,
                                                    name: "Result").stringValue, result != "success" {
                why += ", service result \(result)"
            }
            throw SystemdError("\(verb) \(unit): \(why)")
        }
    }

    // MARK: Connection and retry

    /// Runs `body` on the current connection; if the connection turns out to be gone, reconnects and
    /// runs `retry` (by default `body`) once. Every failure becomes a `SystemdError` that says what
    /// was attempted.
    func withBus<R: Sendable>(_ what: String, body: @escaping @Sendable (SystemdManagerBus) async throws -> R,
                              retry: (@Sendable (SystemdManagerBus) async throws -> R)? = nil) async throws(SystemdError) -> R {
        let first: (bus: SystemdManagerBus, generation: Int)
        do { first = try await slot.bus(window: .zero) } catch {
            return try await reconnectAndRun(what, retry ?? body, firstError: error)
        }
        do { return try await body(first.bus) } catch let error as DBusError where error.name == DBusError.disconnectedName {
            await slot.drop(generation: first.generation)
            return try await reconnectAndRun(what, retry ?? body, firstError: error)
        } catch {
            throw SystemdError("\(what): \(error)")
        }
    }

    private func reconnectAndRun<R: Sendable>(_ what: String, _ body: @Sendable (SystemdManagerBus) async throws -> R,
                                              firstError: any Error) async throws(SystemdError) -> R {
        let bus: SystemdManagerBus
        do { bus = try await slot.bus(window: reconnectWindow).bus } catch {
            throw SystemdError("\(what): systemd at \(socketPath) is unreachable (\(firstError); reconnecting: \(error))")
        }
        do { return try await body(bus) } catch { throw SystemdError("\(what): \(error)") }
    }

}

extension DBusSystemdClient {
    /// Properties of the Unit interface; every other name is looked up on the unit type's own
    /// interface (`MainPID` on `.Service`) first.
    static let unitInterfaceProperties: Set<String> = [
        "Id", "Names", "Following", "Description", "LoadState", "ActiveState", "FreezerState", "SubState",
        "FragmentPath", "SourcePath", "DropInPaths", "UnitFileState", "UnitFilePreset", "StateChangeTimestamp",
        "StateChangeTimestampMonotonic", "InactiveExitTimestamp", "ActiveEnterTimestamp", "ActiveExitTimestamp",
        "InactiveEnterTimestamp", "CanStart", "CanStop", "CanReload", "CanIsolate", "CanClean", "CanFreeze", "Job",
        "StopWhenUnneeded", "RefuseManualStart", "RefuseManualStop", "AllowIsolate", "DefaultDependencies",
        "Transient", "Perpetual", "InvocationID", "LoadError", "Requires", "Wants", "WantedBy", "Before", "After",
        "ConditionResult", "AssertResult", "Conflicts", "PartOf", "BindsTo", "Triggers", "TriggeredBy",
    ]

    static let typeInterfaces: [String: String] = [
        "service": "Service", "socket": "Socket", "target": "Target", "timer": "Timer", "slice": "Slice", "scope": "Scope",
        "mount": "Mount", "automount": "Automount", "path": "Path", "swap": "Swap", "device": "Device",
    ]

    /// The interfaces to ask for `property` of `unit`, most likely first.
    static func interfaces(for property: String, of unit: String) -> [String] {
        let suffix = unit.split(separator: ".").last.map(String.init) ?? ""
        guard let type = typeInterfaces[suffix].map(SystemdInterface.ofType) else { return [SystemdInterface.unit] }
        return unitInterfaceProperties.contains(property) ? [SystemdInterface.unit, type] : [type, SystemdInterface.unit]
    }

    /// One `Properties.Get` per unit and property, all pipelined on the connection (a bounded number in
    /// flight). Asking for a unit by path makes systemd load it, as `systemctl show` does, so an
    /// unknown unit answers `LoadState=not-found`. A property neither interface has is left out.
    static func show(_ units: [String], _ properties: [String], on bus: SystemdManagerBus) async throws -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        let pairs = units.flatMap { unit in properties.map { (unit, $0) } }
        var next = 0
        let inFlight = 128
        try await withThrowingTaskGroup(of: (String, String, String?).self) { group in
            func add() {
                let (unit, property) = pairs[next]
                next += 1
                group.addTask { (unit, property, try await value(of: property, unit: unit, on: bus)) }
            }
            while next < min(pairs.count, inFlight) { add() }
            while let (unit, property, value) = try await group.next() {
                if let value { result[unit, default: [:]][property] = value }
                if next < pairs.count { add() }
            }
        }
        return result
    }

    static func value(of property: String, unit: String, on bus: SystemdManagerBus) async throws -> String? {
        let path = SystemdPath.unitPath(unit)
        for interface in interfaces(for: property, of: unit) {
            do {
                return text(try await bus.property(path: path, interface: interface, name: property))
            } catch let error as DBusError where error.name == "org.freedesktop.DBus.Error.UnknownProperty"
                || error.name == "org.freedesktop.DBus.Error.UnknownInterface" {
                continue
            }
        }
        return nil
    }

    /// A property as `systemctl show` prints the simple types: booleans `yes`/`no`, numbers in decimal
    /// (timestamps stay microseconds), string arrays space-separated.
    static func text(_ value: DBusValue) -> String {
        switch value {
        case .boolean(let b): b ? "yes" : "no"
        case .string(let s), .objectPath(let s), .signature(let s): s
        case .double(let d): "\(d)"
        case .uint64(let v): "\(v)"
        case .array(_, let items): items.map(text).joined(separator: " ")
        case .variant(let inner): text(inner)
        default: value.integerValue.map { "\($0)" } ?? "\(value)"
        }
    }
}
