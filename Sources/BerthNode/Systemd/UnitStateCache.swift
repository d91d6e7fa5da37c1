import BerthCore
import BerthDBus
import BerthSystemd
import BerthSystem

/// The states of the units whose names match `prefix*suffix` for each of `suffixes` (`ctr-*.service`,
/// `ctr-*.socket`), kept current from systemd's signals: the node's one mirror of systemd. Listing
/// containers reads it without a call to systemd, and the event hub subscribes to its changes
/// (`observe(_:)`) instead of following systemd on a connection of its own.
///
/// Fed per connection (`DBusSystemdClient` does it for the connection it uses; anything else holding
/// a `SystemdManagerBus` may call `follow(_:)` itself): it listens to every signal first, then takes a
/// snapshot (`ListUnitsByPatterns`, then `MainPID` of the running units), and applies PropertiesChanged,
/// UnitNew and UnitRemoved from then on. Order is decided by the serial systemd gave each message
/// (increasing on one connection), not by arrival at this type: a value only replaces one taken from
/// an older message, so a signal queued before the snapshot's reply cannot undo it. A new connection
/// starts over (serials restart; the states of the old one are kept as the oldest possible, so a
/// subscriber still sees them until the new snapshot replaces them), and until its snapshot is in,
/// `listing` answers nil. A snapshot that fails closes the connection, so the next one starts over.
///
/// With a service's states it keeps its facts (`UnitState.result`, its main process's exit,
/// `restarts`, `stateChanged`): a snapshot asks for them (a `Get` each, every loaded service) and
/// the PropertiesChanged signals systemd sends at every state change carry them from then on, each
/// ordered by its own serial. So listings and `container.status` report why a container stopped
/// without asking systemd, also right after the node restarted (systemd kept them; the new
/// connection's snapshot asks again).
///
/// Observers hear, in the order the cache applied them and under its lock (so nothing interleaves):
/// `.listed` after every snapshot (the first of a connection, or after a reload), when any unit may
/// have changed, and `.changed(unit)` when one unit's states (load, active, sub) or its being loaded
/// changed. Nothing is published before a connection's first snapshot.
///
/// A daemon-reload unloads and reloads every unit: systemd sends `Reloading(true)`, a UnitRemoved and
/// a UnitNew for each loaded unit, then `Reloading(false)`. Taken one by one, those would show every
/// running unit as gone until it had been asked about again (seconds with thousands of units). So
/// inside that bracket UnitRemoved and UnitNew are set aside (a reload changes no unit's run state),
/// and `Reloading(false)` brings one new snapshot, which also drops the units a reload did unload.
public final class UnitStateCache: Sendable {
    struct Entry {
        var state = UnitState(loadState: "", activeState: "", subState: "", mainPID: 0)
        /// Whether `state`'s load, active and sub states were ever set (an entry may hold a PID only).
        var known = false
        /// Serial of the message the states (load, active, sub) came from.
        var stateSerial: UInt32 = 0
        var pidSerial: UInt32 = 0
        /// Unloaded (UnitRemoved, or absent from a newer snapshot) as of `stateSerial`.
        var removed = false
        /// Serials of the messages each of `state`'s facts came from (`UnitState.result`, ...).
        var factSerials = FactSerials()
    }

    /// One serial per fact: systemd sends them all in each PropertiesChanged of its interface, but
    /// a snapshot asks for each with a `Get` of its own, and signals may fall between those replies.
    struct FactSerials {
        var result: UInt32 = 0
        var exitCode: UInt32 = 0
        var exitStatus: UInt32 = 0
        var restarts: UInt32 = 0
        var stateChanged: UInt32 = 0

        /// Whether every fact was set on this connection (a reload keeps them; they need no asking).
        var complete: Bool { result != 0 && exitCode != 0 && exitStatus != 0 && restarts != 0 && stateChanged != 0 }
    }

    struct Inner {
        var generation = 0
        var ready = false
        var units: [String: Entry] = [:]
        var follower: Task<Void, Never>?
        /// The serial of the last signal applied on this connection.
        var processed: UInt32 = 0
        var waiters: [(id: Int, target: Target, continuation: CheckedContinuation<Void, Never>)] = []
        /// The connection being followed (its serials are the ones compared).
        var connection: ObjectIdentifier?
        var nextWaiter = 0
        /// Units announced by UnitNew and not yet asked about.
        var announced: Set<String> = []
        /// Between `Reloading(true)` and `Reloading(false)` on this connection.
        var reloading = false
        var observers: [@Sendable (Change, View) -> Void] = []
        /// The connection being followed and its signals (`catchUp` pings on it and counts them).
        var bus: SystemdManagerBus?
        var signals: DBusSubscription?
        /// Signals of this connection taken out of `signals` and applied.
        var applied = 0
        /// Waiting for the current connection to end (`untilDisconnected`).
        var endWaiters: [(id: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    /// What a waiter waits for.
    enum Target {
        /// The signal with this serial and everything before it applied (or no snapshot to apply it to).
        case serial(UInt32)
        /// A snapshot in, and this many of the connection's signals applied.
        case caughtUp(Int)

        func isDue(processed: UInt32, applied: Int, ready: Bool) -> Bool {
            switch self {
            case .serial(let serial): processed >= serial || !ready
            case .caughtUp(let count): ready && applied >= count
            }
        }
    }

    /// What an observer hears.
    public enum Change: Sendable, Equatable {
        /// A snapshot is in: any unit may have changed. `first` for a connection's first one.
        case listed(first: Bool)
        /// One unit was loaded, unloaded, or its load, active or sub state moved.
        case changed(String)
    }

    /// The cache's states as an observer (or `read`) sees them, under the cache's lock.
    public struct View: Sendable {
        let units: [String: Entry]

        /// The unit's states, or nil when it is not loaded (or its states are not known yet).
        public func state(_ unit: String) -> UnitState? {
            guard let entry = units[unit], entry.known, !entry.removed else { return nil }
            return entry.state
        }

        /// The names of every loaded unit with known states.
        public var loaded: [String] { units.compactMap { $0.value.known && !$0.value.removed ? $0.key : nil } }
    }

    public let prefix: String
    /// The unit types covered; the first is the one `listing()` answers for.
    public let suffixes: [String]
    private let inner = Lock(Inner())

    /// A cache of the units named `prefix*suffix` for each suffix; empty (and not ready) until `follow(_:)`.
    public init(prefix: String, suffixes: [String] = [".service"]) {
        precondition(!suffixes.isEmpty, "a cache covers at least one unit type")
        self.prefix = prefix
        self.suffixes = suffixes
    }

    deinit { inner.withLock { $0.follower?.cancel() } }

    /// The node's mirror: the container units (`ctr-*`), services (listings, main PIDs, events) and
    /// sockets (a socket-activated container idles while its socket listens).
    public static func containerUnits() -> UnitStateCache {
        UnitStateCache(prefix: Identifier.unitPrefix, suffixes: [".service", ".socket"])
    }

    /// The glob `listing()` and `loadedStates()` answer for (the first suffix), as `ListUnitsByPatterns`
    /// and `SystemdClient.listUnits` take it.
    public var pattern: String { prefix + "*" + suffixes[0] }

    /// Every glob the cache follows.
    var patterns: [String] { suffixes.map { prefix + "*" + $0 } }

    /// Whether `unit` is one of the units `listing()` answers for.
    func covers(_ unit: String) -> Bool { Self.matches(unit, prefix, suffixes[0]) }

    /// Whether the cache follows `unit` at all.
    func follows(_ unit: String) -> Bool { suffixes.contains { Self.matches(unit, prefix, $0) } }

    static func matches(_ unit: String, _ prefix: String, _ suffix: String) -> Bool {
        unit.hasPrefix(prefix) && unit.hasSuffix(suffix) && unit.utf8.count >= prefix.utf8.count + suffix.utf8.count
    }

    /// Adds an observer of the cache's changes (see the type's comment). It runs under the cache's
    /// lock: it must not call back into the cache. When a snapshot is in already, it hears
    /// `.listed(first: true)` at once, so it starts from the same states as one added earlier.
    public func observe(_ observer: @escaping @Sendable (Change, View) -> Void) {
        inner.withLock { inner in
            inner.observers.append(observer)
            if inner.ready { observer(.listed(first: true), View(units: inner.units)) }
        }
    }

    /// Runs `body` with the current states under the cache's lock, so no change is published while
    /// it runs (a subscriber's snapshot and the changes after it neither overlap nor leave a gap).
    public func read<R>(_ body: (View) -> R) -> R {
        inner.withLock { inner in body(View(units: inner.units)) }
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
            for (name, entry) in inner.units where !entry.removed && entry.known && covers(name) {
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
                result[unit] = entry.flatMap { $0.removed || !$0.known ? nil : $0.state }
            }
            return result
        }
    }

    /// Starts following `bus` (a new connection): forgets everything, listens, takes a snapshot, and
    /// keeps applying signals until the connection closes or another `follow` replaces it.
    public func follow(_ bus: SystemdManagerBus) {
        let subscription = bus.connection.subscription(matching: DBusMatchRule(type: .signal))
        let signals = subscription.messages
        let (generation, waiters) = inner.withLock { inner in
            inner.follower?.cancel()
            inner.generation += 1
            inner.ready = false
            // The new connection's serials start over: what the old one said stays until the snapshot
            // replaces it, but older than anything the new one says.
            for name in inner.units.keys {
                inner.units[name]?.stateSerial = 0
                inner.units[name]?.pidSerial = 0
                inner.units[name]?.factSerials = FactSerials()
            }
            inner.announced = []
            inner.reloading = false
            inner.processed = 0
            inner.applied = 0
            inner.connection = ObjectIdentifier(bus.connection)
            inner.bus = bus
            inner.signals = subscription
            defer { inner.waiters = []; inner.endWaiters = [] }
            return (inner.generation, inner.waiters.map(\.continuation) + inner.endWaiters.map(\.continuation))
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
                        self.update(generation) { inner, _ in _ = inner.announced.remove(unit) }
                        await self.fetchStates(unit, bus: bus, generation: generation)
                    }
                }
                group.addTask { [weak self] in await self?.snapshot(bus, generation: generation) }
            }
            // The connection is gone: nothing here is current any more.
            let waiters = self?.inner.withLock { inner -> [CheckedContinuation<Void, Never>] in
                guard inner.generation == generation else { return [] }
                inner.ready = false
                inner.bus = nil
                inner.signals = nil
                defer { inner.waiters = []; inner.endWaiters = [] }
                return inner.waiters.map(\.continuation) + inner.endWaiters.map(\.continuation)
            } ?? []
            for waiter in waiters { waiter.resume() }
        }
        inner.withLock { if $0.generation == generation { $0.follower = task } else { task.cancel() } }
    }

    /// Returns once the signal with `serial` on the current connection (a JobRemoved the caller saw)
    /// and everything before it has been applied, or the connection changed, or `timeout` passed.
    /// Then a listing reflects every change systemd reported up to that signal.
    public func waitUntilApplied(_ serial: UInt32, timeout: Duration = .seconds(2)) async {
        await wait(for: .serial(serial), timeout: timeout)
    }

    /// Returns once every signal systemd sent on the current connection before this call has been
    /// applied (and published to the observers), and the connection's snapshot is in: a snapshot of
    /// the cache taken next is at least as new as anything the node answered before. A `Ping` on the
    /// connection: its reply comes after those signals, and by then they are counted as delivered;
    /// then the wait for as many to be applied. Returns at once without a connection, and gives up
    /// after `timeout`.
    public func catchUp(timeout: Duration = .seconds(2)) async {
        guard let (bus, signals) = inner.withLock({ inner in inner.bus.flatMap { bus in inner.signals.map { (bus, $0) } } }) else { return }
        do {
            _ = try await bus.connection.call(path: SystemdPath.manager, interface: SystemdInterface.peer,
                                              member: "Ping", timeout: timeout)
        } catch {
            return
        }
        await wait(for: .caughtUp(signals.delivered), timeout: timeout)
    }

    private func wait(for target: Target, timeout: Duration) async {
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
                        if target.isDue(processed: inner.processed, applied: inner.applied, ready: inner.ready) || inner.bus == nil || Task.isCancelled { return true }
                        inner.waiters.append((id, target, continuation))
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

    /// Returns when the connection being followed ends (at once without one), or the task is cancelled.
    public func untilDisconnected() async {
        let id = inner.withLock { inner -> Int in
            inner.nextWaiter += 1
            return inner.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = inner.withLock { inner -> Bool in
                    if inner.bus == nil || Task.isCancelled { return true }
                    inner.endWaiters.append((id, continuation))
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            let parked = inner.withLock { inner -> CheckedContinuation<Void, Never>? in
                guard let index = inner.endWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return inner.endWaiters.remove(at: index).continuation
            }
            parked?.resume()
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
        update(generation) { inner, _ in
            inner.processed = max(inner.processed, serial)
            inner.applied += 1
        }
    }

    // MARK: Feeding

    /// Lists every unit of the patterns and applies the answer. After a reload, main PIDs the cache
    /// already holds are kept (a reload restarts nothing); only running services without one are asked.
    /// A listing that fails ends the connection: without it, units a reload unloaded would stay, and
    /// the next connection's snapshot brings the same.
    private func snapshot(_ bus: SystemdManagerBus, generation: Int, afterReload: Bool = false) async {
        let units: [SystemdUnitStatus], serial: UInt32
        do {
            (units, serial) = try await bus.listUnitsInOrder(patterns: patterns)
        } catch {
            bus.connection.close()
            return
        }
        let listed = Set(units.map(\.name))
        let running: [(String, Bool)] = update(generation) { inner, changes in
            for unit in units where self.follows(unit.name) {
                Self.setStates(&inner.units[unit.name, default: Entry()], unit, serial: serial)
            }
            for (name, entry) in inner.units where !listed.contains(name) && entry.stateSerial < serial {
                inner.units[name]?.removed = true
                inner.units[name]?.stateSerial = serial
            }
            if inner.ready { changes.append(.listed(first: false)) }
            // Every loaded service's facts (a failed one's matter most), and the main PID of the running
            // ones; after a reload only what the cache does not hold yet.
            return inner.units.compactMap { name, entry -> (String, Bool)? in
                guard name.hasSuffix(".service"), !entry.removed else { return nil }
                let needsPID = !Self.isInactive(entry.state.activeState) && !(afterReload && entry.state.mainPID != 0)
                let needsFacts = !(afterReload && entry.factSerials.complete)
                return needsPID || needsFacts ? (name, needsPID) : nil
            }
        } ?? []
        await withTaskGroup(of: Void.self) { group in
            for (unit, needsPID) in running {
                group.addTask { await self.fetchServiceFacts(unit, mainPID: needsPID, bus: bus, generation: generation) }
            }
        }
        update(generation) { inner, changes in
            guard !inner.ready else { return }
            inner.ready = true
            changes.append(.listed(first: true))
        }
    }

    private func apply(_ message: DBusMessage, generation: Int, announce: AsyncStream<String>.Continuation,
                       reloaded: AsyncStream<Void>.Continuation) {
        switch SystemdSignal(message) {
        case .reloading(let active):
            update(generation) { inner, _ in inner.reloading = active }
            if !active { reloaded.yield() }
        case .unitChanged(let change):
            let unit = change.unit, changed = change.changed
            guard follows(unit) else { return }
            update(generation) { inner, changes in
                var entry = inner.units[unit, default: Entry()]
                if let pid = changed["MainPID"]?.integerValue, message.serial > entry.pidSerial {
                    entry.state.mainPID = UInt32(clamping: pid)
                    entry.pidSerial = message.serial
                }
                for name in Self.factProperties where changed[name] != nil {
                    Self.setFact(&entry, name, changed[name]!, serial: message.serial)
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
                    entry.known = true
                    entry.removed = false
                    if Self.isInactive(entry.state.activeState) && message.serial > entry.pidSerial {
                        entry.state.mainPID = 0
                    }
                }
                Self.store(entry, unit, &inner, &changes)
            }
        case .unitNew(let name):
            // systemd announces a newly loaded unit with UnitNew instead of a first PropertiesChanged.
            // (Cost: one call per loaded unit; units come and go as `show` loads them and systemd
            // unloads them again.)
            guard follows(name) else { return }
            if update(generation, { inner, _ in !inner.reloading && inner.announced.insert(name).inserted }) == true {
                announce.yield(name)
            }
        case .unitRemoved(let name):
            guard follows(name) else { return }
            update(generation) { inner, changes in
                var entry = inner.units[name, default: Entry()]
                guard !inner.reloading, message.serial > entry.stateSerial else { return }
                entry.removed = true
                entry.stateSerial = message.serial
                entry.state.mainPID = 0
                entry.pidSerial = max(entry.pidSerial, message.serial)
                Self.store(entry, name, &inner, &changes)
            }
        case .jobRemoved, nil:
            return
        }
    }

    /// Stores `entry` as `unit`'s, noting a change when its load, active or sub state or its being
    /// loaded moved (a new main PID alone is not one).
    static func store(_ entry: Entry, _ unit: String, _ inner: inout Inner, _ changes: inout [Change]) {
        let before = inner.units[unit].flatMap(Self.visible)
        inner.units[unit] = entry
        if before != Self.visible(entry) { changes.append(.changed(unit)) }
    }

    static func visible(_ entry: Entry) -> [String]? {
        entry.known && !entry.removed ? [entry.state.loadState, entry.state.activeState, entry.state.subState] : nil
    }

    /// Asks for one unit's states with `ListUnitsByPatterns`, which (unlike `GetAll` on its path) never
    /// loads a unit: loading would announce it again with UnitNew, and a unit systemd unloads at once
    /// (unused and inactive) would make that a loop.
    private func fetchStates(_ unit: String, bus: SystemdManagerBus, generation: Int) async {
        guard let (units, serial) = try? await bus.listUnitsInOrder(patterns: [Self.globEscaped(unit)]) else { return }
        let row = units.first { $0.name == unit }
        let loaded = update(generation) { inner, changes -> (loaded: Bool, active: Bool) in
            var entry = inner.units[unit, default: Entry()]
            if let row {
                Self.setStates(&entry, row, serial: serial)
            } else if serial > entry.stateSerial {
                entry.removed = true
                entry.stateSerial = serial
            }
            Self.store(entry, unit, &inner, &changes)
            return (row != nil, row.map { !Self.isInactive($0.activeState) } ?? false)
        }
        if let loaded, loaded.loaded {
            await fetchServiceFacts(unit, mainPID: loaded.active, bus: bus, generation: generation)
        }
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

    /// The properties behind `UnitState`'s facts, and the interface each is on.
    static let factProperties = UnitState.serviceFactProperties + UnitState.unitFactProperties
    static let factInterfaces: [(interface: String, property: String)] =
        UnitState.serviceFactProperties.map { (SystemdInterface.service, $0) } + UnitState.unitFactProperties.map { (SystemdInterface.unit, $0) }

    /// Asks for a service's facts (and its main PID when `mainPID`), one `Get` each: each reply's
    /// serial orders it among the signals (`bus.property` would drop it), and a few small replies
    /// cost systemd far less than `GetAll` of the service's two hundred properties.
    private func fetchServiceFacts(_ unit: String, mainPID: Bool, bus: SystemdManagerBus, generation: Int) async {
        guard unit.hasSuffix(".service") else { return }
        let path = SystemdPath.unitPath(unit)
        let asks = (mainPID ? [(SystemdInterface.service, "MainPID")] : []) + Self.factInterfaces
        for (interface, property) in asks {
            guard let reply = try? await bus.connection.call(.methodCall(
                path: path, interface: SystemdInterface.properties, member: "Get",
                body: [.string(interface), .string(property)])), let value = reply.body.first else { return }
            update(generation) { inner, _ in
                var entry = inner.units[unit, default: Entry()]
                if property == "MainPID" {
                    guard reply.serial > entry.pidSerial, let pid = value.integerValue else { return }
                    entry.state.mainPID = UInt32(clamping: pid)
                    entry.pidSerial = reply.serial
                } else {
                    Self.setFact(&entry, property, value, serial: reply.serial)
                }
                inner.units[unit] = entry
            }
        }
    }

    /// Sets the fact `property` (one of `factProperties`) from a message with `serial`, unless a newer
    /// message set it already. Facts change no state an observer hears of.
    static func setFact(_ entry: inout Entry, _ property: String, _ value: DBusValue, serial: UInt32) {
        let value = value.unwrapped
        switch property {
        case "Result":
            guard serial > entry.factSerials.result, let text = value.stringValue else { return }
            entry.state.result = text
            entry.factSerials.result = serial
        case "ExecMainCode":
            guard serial > entry.factSerials.exitCode, let number = value.integerValue else { return }
            entry.state.exitCode = Int32(clamping: number)
            entry.factSerials.exitCode = serial
        case "ExecMainStatus":
            guard serial > entry.factSerials.exitStatus, let number = value.integerValue else { return }
            entry.state.exitStatus = Int32(clamping: number)
            entry.factSerials.exitStatus = serial
        case "NRestarts":
            guard serial > entry.factSerials.restarts, let number = value.integerValue else { return }
            entry.state.restarts = UInt32(clamping: number)
            entry.factSerials.restarts = serial
        case "StateChangeTimestamp":
            guard serial > entry.factSerials.stateChanged, case .uint64(let microseconds) = value else { return }
            entry.state.stateChanged = microseconds
            entry.factSerials.stateChanged = serial
        default:
            return
        }
    }

    static func setStates(_ entry: inout Entry, _ row: SystemdUnitStatus, serial: UInt32) {
        guard serial > entry.stateSerial else { return }
        entry.state.loadState = row.loadState
        entry.state.activeState = row.activeState
        entry.state.subState = row.subState
        entry.stateSerial = serial
        entry.known = true
        entry.removed = false
    }

    static func isInactive(_ activeState: String) -> Bool { activeState == "inactive" || activeState == "failed" }

    /// Runs `body` on the state if `generation` is still the current connection's; then, still under
    /// the lock, tells the observers what `body` changed (once the connection's snapshot is in), and
    /// resumes the waiters it made due.
    @discardableResult
    private func update<R>(_ generation: Int, _ body: (inout Inner, inout [Change]) -> R) -> R? {
        let (result, due) = inner.withLock { inner -> (R?, [CheckedContinuation<Void, Never>]) in
            guard inner.generation == generation else { return (nil, []) }
            var changes: [Change] = []
            let result = body(&inner, &changes)
            if inner.ready, !changes.isEmpty {
                let view = View(units: inner.units)
                for change in changes { for observer in inner.observers { observer(change, view) } }
            }
            var due: [CheckedContinuation<Void, Never>] = []
            if !inner.waiters.isEmpty {
                let (processed, applied, ready) = (inner.processed, inner.applied, inner.ready)
                let isDue = { (target: Target) in target.isDue(processed: processed, applied: applied, ready: ready) }
                due = inner.waiters.filter { isDue($0.target) }.map(\.continuation)
                if !due.isEmpty { inner.waiters.removeAll { isDue($0.target) } }
            }
            return (result, due)
        }
        for waiter in due { waiter.resume() }
        return result
    }
}
