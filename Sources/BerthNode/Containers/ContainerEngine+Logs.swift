import BerthCore
import BerthSystem

/// The engine's side of the logs (`ContainerLogFiles`): every unit sends its output to the
/// container's log directory, which exists before systemd first runs the unit (systemd does not
/// create the directory of an `append:` file, and a unit whose output cannot be opened fails) and
/// goes with the container. Reading is `ContainerLogReader`'s.
extension ContainerEngine {
    /// Creates `id`'s log directory (0700; the logs directory above it is one of `Layout`'s), and keeps
    /// `unit.log` within its bound: past `logMaxBytes` its older half goes (systemd appends to it,
    /// so the node is the one that trims it; done before each start the node makes, the only time
    /// the unit writes much). Cheap when there is nothing to do: two stats.
    func prepareLog(_ id: Identifier) throws {
        let files = layout.container(id).logFiles
        let maxBytes = configuration.logMaxBytes
        try FileSystem.createDirectory(files.directory, mode: 0o700)
        guard let identity = try? FileSystem.info(files.unitLog), identity.size > maxBytes else { return }
        let keep = Int(maxBytes / 2)
        let descriptor = try FileDescriptor.openForReading(files.unitLog)
        let tail = try descriptor.closeAfter { try descriptor.read(upTo: keep, at: identity.size - Int64(keep)) }
        // From the first whole line on; the kept half begins mid-line.
        let start = tail.firstIndex(of: 0x0A).map { $0 + 1 } ?? tail.endIndex
        try FileSystem.writeAtomically(tail[start...], to: files.unitLog, mode: 0o600, durable: false)
    }

    /// Removes log directories of containers that are not installed (a delete that crashed
    /// between removing the record and the log); returns their names.
    func removeOrphanLogs() throws -> [String] {
        guard FileSystem.exists(layout.logsDir) else { return [] }
        var removed: [String] = []
        for name in try FileSystem.list(layout.logsDir) where Identifier(rawValue: name).map({ records[$0] == nil }) ?? true {
            try FileSystem.removeTree("\(layout.logsDir)/\(name)")
            removed.append(name)
        }
        return removed
    }
}
