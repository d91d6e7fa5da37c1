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

    static let statusProperties = ["ActiveState", "SubState", "MainPID", "LoadState"]

    /// What systemd said of a container's unit.
    enum UnitView {
        /// systemd could not be asked.
        case unknown
        /// The unit's states, or nil when systemd has not loaded it (so it is inactive).
        case known(UnitState?)
    }

    func status(of record: ContainerRecord, properties: [String: String]?) -> ContainerStatus {
        let id = Identifier(rawValue: record.id)
        let view: UnitView = properties.map { p in
            guard p["LoadState"] == "loaded" else { return .known(nil) }
            return .known(UnitState(loadState: "loaded", activeState: p["ActiveState"] ?? "unknown", subState: p["SubState"] ?? "",
                                    mainPID: p["MainPID"].flatMap { UInt32($0) } ?? 0))
        } ?? .unknown
        return status(of: record, id: id, unit: view, enabled: id.map { startsOnBoot($0) } ?? false)
    }

    func status(of record: ContainerRecord, id: Identifier?, unit: UnitView, enabled: Bool) -> ContainerStatus {
        let state: String
        var subState: String?
        var mainPID: Int?
        switch unit {
        case .unknown: state = "unknown"
        case .known(nil): state = "inactive"
        case .known(let unit?) where unit.loadState != "loaded": state = "inactive"
        case .known(let unit?):
            state = ContainerStatus.states.contains(unit.activeState) ? unit.activeState : "unknown"
            subState = unit.subState
            mainPID = unit.mainPID == 0 ? nil : Int(unit.mainPID)
        }
        var status = ContainerStatus(
            id: record.id, image: record.image, state: state, subState: subState, ports: record.ports.map(\.wire),
            enabled: enabled, socketActivated: record.backendPorts != nil, mainPID: mainPID,
            environmentNames: record.environmentNames,
            links: id.map { (linkSets[$0] ?? []).map(\.wire) } ?? [],
            isolatedUID: record.isolatedUID)
        status.set(restart: record.restart, limits: record.limits)
        return status
    }

    func currentStatus(_ id: Identifier) async throws -> ContainerStatus {
        guard let record = records[id] else { throw ContainerEngine.notFound(id) }
        let unit = ContainerUnitNames.service(id)
        // An unreachable systemd is an error the caller sees, not a silent "unknown" state.
        let props: [String: String]?
        do { props = try await systemd.show([unit], properties: ContainerEngine.statusProperties)[unit] } catch {
            throw ContainerEngine.systemdFailed(error, "show \(unit)")
        }
        return status(of: record, properties: props)
    }

    static func notFound(_ id: Identifier) -> RPCError {
        RPCError(.notFound, "no container \(id.rawValue) is installed", details: ["id": .string(id.rawValue)])
    }

    static func systemdFailed(_ error: any Error, _ what: String) -> RPCError {
        RPCError(.systemdFailed, "\(what): \(error)")
    }
}
