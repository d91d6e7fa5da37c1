import BerthDBus
import BerthSystemd
import BerthSystem

/// The states of the units whose names match `prefix*suffix` (`ctr-*.service`), kept current from
/// systemd's signals, so listing them costs no call to systemd.
///
/// Fed per connection (`DBusSystemdClient` does it for the connection it uses; anything else holding
/// a `SystemdManagerBus` may call `follow(_:)` itself): it listens to every signal first, then takes a
/// snapshot (`ListUnitsByPatterns`, then `MainPID` of the running units), and applies PropertiesChanged,
/// UnitNew and UnitRemoved from then on. Order is decided by the serial systemd gave each message
/// (increasing on one connection), not by arrival at this type: a value only replaces one taken from
/// an older message, so a signal queued before the snapshot's reply cannot undo it. A new connection
/// starts from scratch (serials restart), and until its snapshot is in, `listing` answers nil.
///
/// A daemon-reload unloads and reloads every unit: systemd sends `Reloading(true)`, a UnitRemoved and
/// a UnitNew for each loaded unit, then `Reloading(false)`. Taken one by one, those would show every
/// running unit as gone until it had been asked about again (seconds with thousands of units). So
/// inside that bracket UnitRemoved and UnitNew are set aside (a reload changes no unit's run state),
/// and `Reloading(false)` brings one new snapshot, which also drops the units a reload did unload.
public final class UnitStateCache: Sendable {
    struct Entry {
        var state = UnitState(loadState: "", activeState: "", subState: "", mainPID: 0)
        /// Serial of the message the states (load, active, sub) came from.
        var stateSerial: UInt32 = 0
        var pidSerial: UInt32 = 0
        /// Unloaded (UnitRemoved, or absent from a newer snapshot) as of `stateSerial`.
        var removed = false
    }

    struct Inner {
        var generation = 0
        var ready = false
        var units: [String: Entry] = [:]
        var follower: Task<Void, Never>?
        /// The serial of the last signal applied on this connection.
        var processed: UInt32 = 0
        var waiters: [(id: Int, serial: UInt32, continuation: CheckedContinuation<Void, Never>)] = []
        /// The connection being followed (its serials are the ones compared).
        var connection: ObjectIdentifier?
        var nextWaiter = 0
        /// Units announced by UnitNew and not yet asked about.
        var announced: Set<String> = []
        /// Between `Reloading(true)` and `Reloading(false)` on this connection.
        var reloading = false
    }

    public let prefix: String
    public let suffix: String
    private let inner = Lock(Inner())

    /// A cache of the units named `prefix*suffix`; empty (and not ready) until `follow(_:)`.
    public init(prefix: String, suffix: String = ".service") {
        self.prefix = prefix
        self.suffix = suffix
    }

    deinit { inner.withLock { $0.follower?.cancel() } }

    /// The glob this cache covers, as `ListUnitsByPatterns` and `SystemdClient.listUnits` take it.
    public var pattern: String { prefix + "*" + suffix }

    func covers(_ unit: String) -> Bool {
        unit.hasPrefix(prefix) && unit.hasSuffix(suffix) && unit.utf8.count >= prefix.utf8.count + suffix.utf8.count
    }

    /// Whether a snapshot of the current connection is in.
    public var isReady: Bool { inner.withLock { $0.ready } }

    /// Every loaded unit the cache covers with its states, or nil before the first snapshot of the
    /// current connection (the caller then asks systemd).
    public func listing() -> [UnitListing]? {
        loadedStates()?.map { name, state in
            UnitListing(name: name, loadState: state.loadState, activeState: state.activeState, subState: state.subState)
        }
    }

    /// Every loaded unit the cache covers with its states and main PID, by name, or nil before the
    /// first snapshot of the current connection.
    public func loadedStates() -> [String: UnitState]? {
        inner.withLock { inner in
            guard inner.ready else { return nil }
            var states: [String: UnitState] = [:]
            states.reserveCapacity(inner.units.count)
            for (name, entry) in inner.units where !entry.removed && entry.stateSerial != 0 {
                states[name] = entry.state
            }
            return states
        }
    }

    /// The state of each unit asked for (nil for a unit that is not loaded), or nil before the snapshot.
    public func states(_ units: [String]) -> [String: UnitState?]? {
        inner.withLock { inner in
            guard inner.ready else { return nil }
            var result: [String: UnitState?] = [:]
            for unit in units {
                let entry = inner.units[unit]
                result[unit] = entry.flatMap { $0.removed || $0.stateSerial == 0 ? nil : $0.state }
            }
            return result
        }
    }

    /// Starts following `bus` (a new connection): forgets everything, listens, takes a snapshot, and
    /// keeps applying signals until the connection closes or another `follow` replaces it.
    public func follow(_ bus: SystemdManagerBus) {
        let signals = bus.connection.messages(matching: DBusMatchRule(type: .signal))
        let (generation, waiters) = inner.withLock { inner in
            inner.follower?.cancel()
            inner.generation += 1
            inner.ready = false
            inner.units = [:]
            inner.announced = []
            inner.reloading = false
            inner.processed = 0
            inner.connection = ObjectIdentifier(bus.connection)
            defer { inner.waiters = [] }
            return (inner.generation, inner.waiters.map(\.continuation))
        }
        for waiter in waiters { waiter.resume() }
        // Units announced by UnitNew are asked about by a task of their own, names deduplicated, so the
        // signal loop never waits on systemd (busy in a reload, it would let signals pile up unread).
        let (announced, announce) = AsyncStream.makeStream(of: String.self)
        // A reload's end asks for a new snapshot; several pending requests make one.
        let (reloads, reloaded) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task { [weak self] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [weak self] in
                    for await message in signals {
                        guard let self else { break }
                        self.apply(message, generation: generation, announce: announce, reloaded: reloaded)
                        self.processed(message.serial, generation: generation)
                    }
                    announce.finish()
                    reloaded.finish()
                }
                group.addTask { [weak self] in
                    for await _ in reloads {
                        guard let self else { return }
                        await self.snapshot(bus, generation: generation, afterReload: true)
                    }
                }
                group.addTask { [weak self] in
                    for await unit in announced {
                        guard let self else { return }
                        self.update(generation) { _ = $0.announced.remove(unit) }
                        await self.fetchStates(unit, bus: bus, generation: generation)
                    }
                }
                group.addTask { [weak self] in await self?.snapshot(bus, generation: generation) }
            }
            // The connection is gone: nothing here is current any more.
            let waiters = self?.inner.withLock { inner -> [CheckedContinuation<Void, Never>] in
                guard inner.generation == generation else { return [] }
                inner.ready = false
                defer { inner.waiters = [] }
                return inner.waiters.map(\.continuation)
            } ?? []
            for waiter in waiters { waiter.resume() }
        }
        inner.withLock { if $0.generation == generation { $0.follower = task } else { task.cancel() } }
    }

    /// Returns once the signal with `serial` on the current connection (a JobRemoved the caller saw)
    /// and everything before it has been applied, or the connection changed, or `timeout` passed.
    /// Then a listing reflects every change systemd reported up to that signal.
    public func waitUntilApplied(_ serial: UInt32, timeout: Duration = .seconds(2)) async {
        let id = inner.withLock { inner -> Int in
            inner.nextWaiter += 1
            return inner.nextWaiter
        }
        // Past the deadline the caller answers with what has been applied by then.
        _ = try? await withTimeout(timeout, orThrow: { CancellationError() }) {
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    // Cancellation sets the flag before its handler runs, and both look under the lock:
                    // a waiter is either never parked or taken out by the handler.
                    let done = self.inner.withLock { inner -> Bool in
                        if inner.processed >= serial || !inner.ready || Task.isCancelled { return true }
                        inner.waiters.append((id, serial, continuation))
                        return false
                    }
                    if done { continuation.resume() }
                }
            } onCancel: {
                let parked = self.inner.withLock { inner -> CheckedContinuation<Void, Never>? in
                    guard let index = inner.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return inner.waiters.remove(at: index).continuation
                }
                parked?.resume()
            }
        }
    }

    /// Takes a snapshot now on `bus`, if it is the connection being followed, and returns once it is
    /// applied: after a daemon-reload that returned on `bus`, the cache then holds the reloaded state
    /// (units the reload unloaded gone) whatever order the reload's signals arrive in.
    public func refresh(on bus: SystemdManagerBus) async {
        let generation = inner.withLock { inner -> Int? in
            inner.ready && inner.connection == ObjectIdentifier(bus.connection) ? inner.generation : nil
        }
        guard let generation else { return }
        await snapshot(bus, generation: generation, afterReload: true)
    }

    private func processed(_ serial: UInt32, generation: Int) {
        let ready = inner.withLock { inner -> [CheckedContinuation<Void, Never>] in
            guard inner.generation == generation else { return [] }
            inner.processed = max(inner.processed, serial)
            let (done, waiting) = (inner.waiters.filter { $0.serial <= inner.processed }, inner.waiters.filter { $0.serial > inner.processed })
            inner.waiters = waiting
            return done.map(\.continuation)
        }
        for waiter in ready { waiter.resume() }
    }

    // MARK: Feeding

    /// Lists every unit of the pattern and applies the answer. After a reload, main PIDs the cache
    /// already holds are kept (a reload restarts nothing); only running units without one are asked.
    private func snapshot(_ bus: SystemdManagerBus, generation: Int, afterReload: Bool = false) async {
        let reply: DBusMessage
        do {
            reply = try await bus.connection.call(.methodCall(
                path: SystemdPath.manager, interface: SystemdInterface.manager, member: "ListUnitsByPatterns",
                body: [.strings([]), .strings([pattern])]))
        } catch { return }  // the connection failed; the next one snapshots again
        let rows = (reply.body.first?.arrayValue ?? []).compactMap { row -> (String, String, String, String)? in
            guard let f = row.structValue, f.count == 10, let name = f[0].stringValue, let load = f[2].stringValue,
                  let active = f[3].stringValue, let sub = f[4].stringValue else { return nil }
            return (name, load, active, sub)
        }
        let listed = Set(rows.map(\.0))
        let running: [String] = update(generation) { inner in
            for (name, load, active, sub) in rows where self.covers(name) {
                Self.setStates(&inner.units[name, default: Entry()], load, active, sub, serial: reply.serial)
            }
            for (name, entry) in inner.units where !listed.contains(name) && entry.stateSerial < reply.serial {
                inner.units[name]?.removed = true
                inner.units[name]?.stateSerial = reply.serial
            }
            return inner.units.filter {
                !$0.value.removed && !Self.isInactive($0.value.state.activeState) && !(afterReload && $0.value.state.mainPID != 0)
            }.map(\.key)
        } ?? []
        await withTaskGroup(of: Void.self) { group in
            for unit in running { group.addTask { await self.fetchMainPID(unit, bus: bus, generation: generation) } }
        }
        update(generation) { $0.ready = true }
    }

    private func apply(_ message: DBusMessage, generation: Int, announce: AsyncStream<String>.Continuation,
                       reloaded: AsyncStream<Void>.Continuation) {
        switch SystemdSignal(message) {
        case .reloading(let active):
            update(generation) { $0.reloading = active }
            if !active { reloaded.yield() }
        case .unitChanged(let change):
            let unit = change.unit, changed = change.changed
            guard covers(unit) else { return }
            update(generation) { inner in
                var entry = inner.units[unit, default: Entry()]
                if let pid = changed["MainPID"]?.integerValue, message.serial > entry.pidSerial {
                    entry.state.mainPID = UInt32(clamping: pid)
                    entry.pidSerial = message.serial
                }
                if change.interface == SystemdInterface.unit, message.serial > entry.stateSerial {
                    // systemd's PropertiesChanged never carries LoadState (it comes from the snapshot
                    // and UnitNew); a unit whose state moves before either answered is loaded, since
                    // systemd runs jobs only for loaded units.
                    entry.state.loadState = changed["LoadState"]?.stringValue
                        ?? (entry.state.loadState.isEmpty ? "loaded" : entry.state.loadState)
                    entry.state.activeState = change.activeState ?? entry.state.activeState
                    entry.state.subState = change.subState ?? entry.state.subState
                    entry.stateSerial = message.serial
                    entry.removed = false
                    if Self.isInactive(entry.state.activeState) && message.serial > entry.pidSerial {
                        entry.state.mainPID = 0
                    }
                }
                inner.units[unit] = entry
            }
        case .unitNew(let name):
            // systemd announces a newly loaded unit with UnitNew instead of a first PropertiesChanged.
            // (Cost: one call per loaded unit; units come and go as `show` loads them and systemd
            // unloads them again.)
            guard covers(name) else { return }
            if update(generation, { !$0.reloading && $0.announced.insert(name).inserted }) == true { announce.yield(name) }
        case .unitRemoved(let name):
            guard covers(name) else { return }
            update(generation) { inner in
                var entry = inner.units[name, default: Entry()]
                guard !inner.reloading, message.serial > entry.stateSerial else { return }
                entry.removed = true
                entry.stateSerial = message.serial
                entry.state.mainPID = 0
                entry.pidSerial = max(entry.pidSerial, message.serial)
                inner.units[name] = entry
            }
        case .jobRemoved, nil:
            return
        }
    }

    /// Asks for one unit's states with `ListUnitsByPatterns`, which (unlike `GetAll` on its path) never
    /// loads a unit: loading would announce it again with UnitNew, and a unit systemd unloads at once
    /// (unused and inactive) would make that a loop.
    private func fetchStates(_ unit: String, bus: SystemdManagerBus, generation: Int) async {
        guard let reply = try? await bus.connection.call(.methodCall(
            path: SystemdPath.manager, interface: SystemdInterface.manager, member: "ListUnitsByPatterns",
            body: [.strings([]), .strings([Self.globEscaped(unit)])])) else { return }
        let row = (reply.body.first?.arrayValue ?? []).compactMap(\.structValue).first { $0.first?.stringValue == unit }
        let active = update(generation) { inner -> Bool in
            if let f = row, f.count == 10, let load = f[2].stringValue, let active = f[3].stringValue, let sub = f[4].stringValue {
                Self.setStates(&inner.units[unit, default: Entry()], load, active, sub, serial: reply.serial)
                return !Self.isInactive(active)
            }
            var entry = inner.units[unit, default: Entry()]
            if reply.serial > entry.stateSerial {
                entry.removed = true
                entry.stateSerial = reply.serial
            }
            inner.units[unit] = entry
            return false
        } ?? false
        if active { await fetchMainPID(unit, bus: bus, generation: generation) }
    }

    /// `name` as a glob matching only itself (systemd's patterns are fnmatch globs).
    static func globEscaped(_ name: String) -> String {
        var out = ""
        for c in name {
            if "*?[]\\".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    private func fetchMainPID(_ unit: String, bus: SystemdManagerBus, generation: Int) async {
        guard suffix == ".service", let reply = try? await bus.connection.call(.methodCall(
            path: SystemdPath.unitPath(unit), interface: SystemdInterface.properties, member: "Get",
            body: [.string(SystemdInterface.service), .string("MainPID")])),
            let pid = reply.body.first?.integerValue else { return }
        update(generation) { inner in
            var entry = inner.units[unit, default: Entry()]
            guard reply.serial > entry.pidSerial else { return }
            entry.state.mainPID = UInt32(clamping: pid)
            entry.pidSerial = reply.serial
            inner.units[unit] = entry
        }
    }

    static func setStates(_ entry: inout Entry, _ load: String, _ active: String, _ sub: String, serial: UInt32) {
        guard serial > entry.stateSerial else { return }
        entry.state.loadState = load
        entry.state.activeState = active
        entry.state.subState = sub
        entry.stateSerial = serial
        entry.removed = false
    }

    static func isInactive(_ activeState: String) -> Bool { activeState == "inactive" || activeState == "failed" }

    /// Runs `body` on the state if `generation` is still the current connection's.
    @discardableResult
    private func update<R>(_ generation: Int, _ body: (inout Inner) -> R) -> R? {
        inner.withLock { inner in inner.generation == generation ? body(&inner) : nil }
    }
}
