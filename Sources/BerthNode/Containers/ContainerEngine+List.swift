import BerthCore
import BerthProtocol
import BerthSystem

/// `container.list`, built for thousands of containers (DESIGN.md: 10,000 in under 50 ms at the node).
///
/// One call to the systemd client for every unit's state (with the D-Bus client, a copy of its signal-fed
/// cache), one `stat` (and, when it changed, one `readdir`) of the start-on-boot directory instead of an
/// `lstat` per container, ids sorted once per change of the installed set, and each container's JSON
/// kept with what it was written from: a container unchanged since the last list costs two lookups,
/// a comparison and a copy of its bytes, not a status or an encoding.
extension ContainerEngine {
    /// A container's `container.list` JSON and what it was written from. While the records and links
    /// are unchanged (`generation`) and systemd's state and the start-on-boot mark are equal, the JSON
    /// is reused as it is: the status is not even built, which would copy the whole record.
    struct EncodedStatus {
        /// `recordsGeneration` when written.
        var generation: Int
        var unit: UnitState?
        var enabled: Bool
        var state: String
        var socketActivated: Bool
        var json: EncodedJSON
    }

    /// Up to this many installed containers, `container.list` runs on the connection's thread: about
    /// 1.5 us each, so at most ~0.1 ms of a loop turn (10,000 take ~15 ms, which belongs on the pool).
    static let listOnConnectionLimit = 64

    /// How many containers are installed.
    var installedCount: Int { records.count }

    /// `container.list` as a typed result (in-process callers and tests).
    public func list(_ params: ContainerListParams) async throws -> ContainerListResult {
        ContainerListResult(containers: try await listStatuses(params).map(\.status))
    }

    /// `container.list` serialized, as the wire carries it: the same bytes as encoding `list(params)`.
    public func listEncoded(_ params: ContainerListParams) async throws -> EncodedJSON {
        try encodedList(params, try await listSources(params))
    }

    /// One listing, both ways (tests hold the cached JSON to the typed statuses' encoding).
    func listedBothWays(_ params: ContainerListParams) async throws
        -> (encoded: EncodedJSON, statuses: [(id: Identifier, status: ContainerStatus)]) {
        let sources = try await listSources(params)
        return (try encodedList(params, sources), statuses(params, sources))
    }

    func encodedList(_ params: ContainerListParams, _ sources: ListSources) throws -> EncodedJSON {
        let wanted = params.ids.map(Set.init)
        var parts: [EncodedJSON] = []
        parts.reserveCapacity(wanted?.count ?? records.count)
        for id in sortedIdentifiers() {
            if let wanted, !wanted.contains(id.rawValue) { continue }
            guard let entry = try listEntry(id, sources) else { continue }
            if let state = params.state, entry.state != state { continue }
            parts.append(entry.json)
        }
        if encodedStatuses.count > records.count {
            encodedStatuses = encodedStatuses.filter { records[$0.key] != nil }
        }
        return ContainerListResult.encoded(parts)
    }

    /// The list entry of `id`, written again only when something it came from changed.
    func listEntry(_ id: Identifier, _ sources: ListSources) throws -> EncodedStatus? {
        if let cached = encodedStatuses[id], cached.generation == recordsGeneration {
            let unitName = id.unitName
            let enabled = cached.socketActivated ? startsOnBoot(id) : sources.marked.contains(unitName)
            if enabled == cached.enabled, sources.units[unitName] == cached.unit { return cached }
        }
        guard let record = records[id] else { return nil }
        let (status, unit, enabled) = listed(record, id, sources)
        let entry = EncodedStatus(generation: recordsGeneration, unit: unit, enabled: enabled, state: status.state,
                                  socketActivated: record.backendPorts != nil,
                                  json: try EncodedJSON(encoding: status))
        encodedStatuses[id] = entry
        return entry
    }

    /// The selected containers' statuses, sorted by id (the typed path: every status is built).
    func listStatuses(_ params: ContainerListParams) async throws -> [(id: Identifier, status: ContainerStatus)] {
        statuses(params, try await listSources(params))
    }

    func statuses(_ params: ContainerListParams, _ sources: ListSources) -> [(id: Identifier, status: ContainerStatus)] {
        let wanted = params.ids.map(Set.init)
        var result: [(id: Identifier, status: ContainerStatus)] = []
        result.reserveCapacity(wanted?.count ?? records.count)
        for id in sortedIdentifiers() {
            if let wanted, !wanted.contains(id.rawValue) { continue }
            guard let record = records[id] else { continue }
            let status = listed(record, id, sources).status
            if let state = params.state, status.state != state { continue }
            result.append((id, status))
        }
        return result
    }

    typealias ListSources = (units: [String: UnitState], marked: Set<String>)

    /// A container's status as one listing's sources say, with the unit state and mark it came from.
    func listed(_ record: ContainerRecord, _ id: Identifier, _ sources: ListSources)
        -> (status: ContainerStatus, unit: UnitState?, enabled: Bool) {
        let unit = sources.units[id.unitName]
        let enabled = record.backendPorts == nil ? sources.marked.contains(id.unitName) : startsOnBoot(id)
        // A unit systemd has not loaded is, by its own definition, inactive.
        return (status(of: record, id: id, unit: .known(unit), enabled: enabled), unit, enabled)
    }

    /// What a listing is made of: every container unit's state and the start-on-boot marks. Asks
    /// systemd first (the only suspension), so records, links and marks are all read at one moment
    /// after it.
    func listSources(_ params: ContainerListParams) async throws -> ListSources {
        if let state = params.state, !ContainerStatus.states.contains(state) {
            throw RPCError(.invalidParams, "state must be one of \(ContainerStatus.states.joined(separator: ", "))",
                           details: ["field": "state"])
        }
        // An id no container could have is a mistake to report, not a filter that matches nothing.
        for text in params.ids ?? [] { _ = try InstallValidation.identifier(text) }
        let units: [String: UnitState]
        do { units = try await systemd.unitStates(matching: "\(Identifier.unitPrefix)*.service") } catch {
            throw ContainerEngine.systemdFailed(error, "list-units")
        }
        return (units, startOnBootMarks())
    }

    /// The installed ids in order, sorted again only after the set of records changed.
    func sortedIdentifiers() -> [Identifier] {
        if let sorted = sortedIds, sorted.generation == recordsGeneration { return sorted.ids }
        let ids = records.keys.sorted()
        sortedIds = (recordsGeneration, ids)
        return ids
    }

    /// The unit names in the start-on-boot directory, read again only when the directory changed.
    ///
    /// A directory's mtime has the kernel's coarse clock (a few ms): an entry added in the same tick
    /// as the read would leave it unchanged. So a listing is reused only if the directory had not been
    /// changed for a second when it was read (git's "racily clean" rule).
    func startOnBootMarks() -> Set<String> {
        guard let stamp = try? FileSystem.info(layout.startOnBootDir) else {
            startOnBoot = nil
            return []
        }
        if let cached = startOnBoot, cached.stamp == stamp, cached.settled { return cached.names }
        let names = Set((try? FileSystem.list(layout.startOnBootDir)) ?? [])
        startOnBoot = StartOnBootListing(stamp: stamp, names: names, settled: WallTime.now.seconds > stamp.modified + 1)
        return names
    }
}

/// The start-on-boot directory's names as of `stamp`; `settled` when it may be reused.
struct StartOnBootListing {
    var stamp: FileInfo
    var names: Set<String>
    var settled: Bool
}
