import BerthCore
import BerthProtocol
import BerthSystem

/// What `open()` found and repaired.
public struct EngineRecoveryReport: Hashable, Sendable {
    public var removedLeftovers: [String] = []
    public var damagedRecords: [String] = []
    public var rewrittenUnits: [String] = []
    public var removedOrphanUnits: [String] = []
    /// Environment files converted from systemd's syntax to the runtime's `--env-file` format.
    public var convertedEnvironments: [String] = []
    public var releasedPorts: [UInt16] = []
    /// Uids claimed for containers that have no record (a crash during install or delete).
    public var releasedUIDs: [UInt32] = []
    /// Request records removed for being past `RequestJournal`'s bounds.
    public var expiredRequests = 0
}

extension ContainerEngine {
    /// Brings disk, units and ports back to the records, then loads them. Must run before serving:
    /// removes staging/deleting leftovers, re-renders every record's units, removes units of
    /// containers that have no record (stopping them first), releases ports no record holds,
    /// writes the shared targets and slices, and reloads systemd once.
    @discardableResult
    public func open() async throws -> EngineRecoveryReport {
        var report = EngineRecoveryReport()
        try layout.prepare()
        report.removedLeftovers = try store.recoverLeftovers()
        report.expiredRequests = try requests.load()
        let (loaded, damaged) = try store.readAll()
        report.damagedRecords = damaged
        records = loaded
        linkSets = [:]
        for id in loaded.keys {
            do {
                let links = try store.readLinks(id)
                if !links.isEmpty { linkSets[id] = links }
            } catch {
                report.damagedRecords.append("\(id.rawValue)/links.json")
            }
        }
        try unitFiles.writeShared()
        for id in loaded.keys.sorted() {
            do {
                if try store.convertEnvironmentFile(id) { report.convertedEnvironments.append(id.rawValue) }
            } catch {
                report.damagedRecords.append("\(id.rawValue)/environment: \(error)")
            }
        }
        for record in loaded.values.sorted(by: { $0.id < $1.id }) { try unitFiles.writeIsolationFiles(for: record) }
        for id in loaded.keys { try prepareLog(id) }
        report.removedLeftovers += try removeOrphanLogs().map { "logs/\($0)" }
        for record in loaded.values.sorted(by: { $0.id < $1.id }) where try writeUnits(for: record) {
            report.rewrittenUnits.append(record.id)
        }
        for name in try unitFiles.orphanUnits(keeping: loaded) {
            try? await systemd.stop(name, wait: true)
            try FileSystem.remove(layout.unitFile(named: name))
            report.removedOrphanUnits.append(name)
        }
        try unitFiles.removeOrphanLinks(keeping: loaded)
        let recovered = try ports.recover(keeping: Set(loaded.keys))
        report.releasedPorts = recovered.releasedOrphans.map(\.external)
        do { report.releasedUIDs = try uids.recover(keeping: Set(loaded.keys)) } catch {
            throw RPCError(.internal, "uid recovery: \(error)")
        }
        try await reloadSystemd()
        // The shared targets: enabled (a wants link under the manager's root target) and started.
        try? await systemd.start(SharedUnits.target)
        if let socket = unitFiles.podmanAPISocket {
            do { try await systemd.start(RuntimeConfiguration.podmanAPIUnitName) } catch {
                throw RPCError(.runtimeFailed, "podman's Docker API did not start: \(error)")
            }
            let deadline = ContinuousClock.now + .seconds(15)
            while !FileSystem.exists(socket) {
                if ContinuousClock.now > deadline { throw RPCError(.runtimeFailed, "podman's Docker API socket \(socket) did not appear") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return report
    }
}
