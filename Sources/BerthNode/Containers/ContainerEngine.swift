import BerthCore
import BerthProtocol
import BerthSystem

/// The node's containers: installs them as systemd units, starts, stops, reports and deletes them.
///
/// The coordinator of its collaborators: `ContainerStore` (the records, the source of truth),
/// `ContainerUnitFiles` (units rendered from a record, again on every start-up, see `open()`),
/// `RequestLog` (a retried request answers its first result, `once`), `InstallReservation` (ports and
/// uid held until an install commits) and `ContainerLinkService`. It keeps what they share: the
/// records and links in memory, and the locks. Mutations of one container are serialised by a
/// per-id lock; different containers proceed concurrently and share coalesced daemon-reloads.
public actor ContainerEngine {
    public let configuration: EngineConfiguration
    public let systemd: any SystemdClient
    public let reloads: ReloadCoalescer
    let store: ContainerStore
    let unitFiles: ContainerUnitFiles
    let linkService: ContainerLinkService
    let ports: PortAllocator
    let uids: UIDAllocator
    var records: [Identifier: ContainerRecord] = [:] {
        didSet { recordsGeneration &+= 1 }
    }
    /// Bumped on every change of `records` or `linkSets`; `sortedIds` and each of `encodedStatuses`
    /// are current while they match it.
    var recordsGeneration = 0
    var sortedIds: (generation: Int, ids: [Identifier])?
    /// `container.list`'s JSON of each container, with what it was written from.
    var encodedStatuses: [Identifier: EncodedStatus] = [:]
    var startOnBoot: StartOnBootListing?
    /// Each container's stored links (`links.json`); absent means none.
    var linkSets: [Identifier: [NetworkLink]] = [:] {
        didSet { recordsGeneration &+= 1 }
    }
    /// The results of requests with a `requestId`; its index is loaded by `open()`.
    var requests: RequestLog
    private var locked: Set<LockKey> = []
    /// Told of installs and deletes (the event hub); systemd reports every other state change.
    var observer: (@Sendable (ContainerEvent) -> Void)?
    private var waiters: [LockKey: [CheckedContinuation<Void, Never>]] = [:]

    public init(configuration: EngineConfiguration, systemd: any SystemdClient) {
        self.configuration = configuration
        self.systemd = systemd
        self.reloads = ReloadCoalescer(client: systemd)
        self.store = ContainerStore(layout: configuration.layout)
        self.unitFiles = ContainerUnitFiles(configuration: configuration)
        self.linkService = ContainerLinkService(configuration: configuration)
        self.requests = RequestLog(layout: configuration.layout)
        self.ports = PortAllocator(layout: configuration.layout, range: configuration.portRange,
                                   durable: configuration.durablePorts)
        self.uids = UIDAllocator(layout: configuration.layout, range: configuration.uidRange,
                                 durable: configuration.durablePorts)
    }

    var layout: Layout { configuration.layout }

    /// Sets who hears of installs and deletes (once committed), replacing any earlier observer.
    public func setObserver(_ observer: (@Sendable (ContainerEvent) -> Void)?) { self.observer = observer }

    /// The installed containers, sorted.
    public func installedIdentifiers() -> [Identifier] { sortedIdentifiers() }

    // MARK: Per-container and per-request locks

    /// What a lock is held on: a container, or a request id (held around a whole mutation that
    /// carries it, so a retry racing its first attempt waits for its answer instead of acting too).
    /// A request's lock is always taken before its container's, never the other way round.
    enum LockKey: Hashable, Sendable {
        case container(Identifier)
        case request(String)
    }

    func acquire(_ key: LockKey) async {
        if locked.insert(key).inserted { return }
        await withCheckedContinuation { waiters[key, default: []].append($0) }
    }

    func release(_ key: LockKey) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.resume()  // the lock passes on, still held
        } else {
            locked.remove(key)
        }
    }

    func withLock<R: Sendable>(_ id: Identifier, _ body: () async throws -> R) async throws -> R {
        try await withLock(.container(id), body)
    }

    func withLock<R: Sendable>(_ key: LockKey, _ body: () async throws -> R) async throws -> R {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    /// Runs blocking file work on a thread of its own, off the actor and the cooperative pool.
    nonisolated static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await DedicatedThread.run(name: "berth-store", body)
    }

    /// Runs `body` with the store on a `berth-store` thread: writes that fsync, which the actor
    /// does not wait for (the caller holds the container's lock, so their order is kept).
    func onStore<T: Sendable>(_ body: @escaping @Sendable (ContainerStore) throws -> T) async throws -> T {
        let store = self.store
        return try await ContainerEngine.blocking { try body(store) }
    }

    // MARK: Unit files

    /// The units of `record`; `links` stands in for its stored links (an install not yet committed).
    func units(for record: ContainerRecord, links: [NetworkLink]? = nil) throws -> ContainerUnits {
        let id = try Identifier(record.id)
        return try unitFiles.render(record, linkHook: linkService.hook(for: id, links: links ?? linkSets[id] ?? []))
    }

    /// Writes the record's unit files when their text differs; true when anything was written.
    @discardableResult
    func writeUnits(for record: ContainerRecord) throws -> Bool {
        try unitFiles.write(try units(for: record))
    }

    /// The units that make a container "started": its service, or its sockets when socket-activated.
    func activationUnits(_ id: Identifier) -> [String] { unitFiles.activationUnits(id, records[id]) }

    func setStartOnBoot(_ id: Identifier, _ active: Bool) throws { try unitFiles.setStartOnBoot(id, records[id], active) }

    func startsOnBoot(_ id: Identifier) -> Bool { unitFiles.startsOnBoot(id, records[id]) }

    // MARK: Status

    /// What systemd said of a container's unit.
    enum UnitView {
        /// systemd could not be asked.
        case unknown
        /// The unit's states, or nil when systemd has not loaded it (so it is inactive).
        case known(UnitState?)
    }

    func status(of record: ContainerRecord, id: Identifier?, unit: UnitView, enabled: Bool) -> ContainerStatus {
        var status = ContainerStatus(
            id: record.id, image: record.image, state: "unknown", ports: record.ports.map(\.wire),
            enabled: enabled, socketActivated: record.backendPorts != nil,
            environmentNames: record.environmentNames,
            links: id.map { (linkSets[$0] ?? []).map(\.wire) } ?? [],
            isolatedUID: record.isolatedUID)
        switch unit {
        case .unknown: break
        case .known(nil): status.state = "inactive"
        case .known(let unit?) where unit.loadState != "loaded": status.state = "inactive"
        case .known(let unit?):
            status.state = ContainerStatus.states.contains(unit.activeState) ? unit.activeState : "unknown"
            status.subState = unit.subState
            status.mainPID = unit.mainPID == 0 ? nil : Int(unit.mainPID)
            ContainerEngine.describeRun(unit, result: runResult(unit, record, id: id), into: &status)
        }
        status.set(restart: record.restart, limits: record.limits)
        return status
    }

    /// Sets `status`'s account of the service's last run from systemd's facts: each member only when
    /// systemd reported it (`result` empty: the facts are not in yet); `result` is `runResult`'s.
    static func describeRun(_ unit: UnitState, result: String, into status: inout ContainerStatus) {
        guard !unit.result.isEmpty else { return }
        status.result = result
        status.restarts = Int(unit.restarts)
        (status.exitStatus, status.exitSignal) = mainExit(of: unit)
        if unit.stateChanged > 0 {
            status.since = LogTime(nanoseconds: Int64(clamping: unit.stateChanged) &* 1000).rfc3339(fractionDigits: 6)
        }
    }

    /// How the main process ended: its exit status (`CLD_EXITED`), or the name of the signal that
    /// killed it (`CLD_KILLED`, `CLD_DUMPED`); neither while it runs or before it ever ran.
    static func mainExit(of unit: UnitState) -> (status: Int?, signal: String?) {
        switch unit.exitCode {
        case 1: (Int(unit.exitStatus), nil)
        case 2, 3: (nil, Signal(rawValue: unit.exitStatus).name ?? "signal \(unit.exitStatus)")
        default: (nil, nil)
        }
    }

    func currentStatus(_ id: Identifier) async throws -> ContainerStatus {
        guard records[id] != nil else { throw ContainerEngine.notFound(id) }
        let unit = ContainerUnitNames.service(id)
        // An unreachable systemd is an error the caller sees, not a silent "unknown" state.
        let state: UnitState?
        do { state = try await systemd.unitState(unit) } catch {
            throw ContainerEngine.systemdFailed(error, "show \(unit)")
        }
        // The record as it is now, after the wait.
        guard let record = records[id] else { throw ContainerEngine.notFound(id) }
        return status(of: record, id: id, unit: .known(state), enabled: startsOnBoot(id))
    }

    static func notFound(_ id: Identifier) -> RPCError {
        RPCError(.notFound, "no container \(id.rawValue) is installed", details: ["id": .string(id.rawValue)])
    }

    static func systemdFailed(_ error: any Error, _ what: String) -> RPCError {
        RPCError(.systemdFailed, "\(what): \(error)")
    }
}
