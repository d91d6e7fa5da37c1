import BerthCore
import BerthSystem

/// The engine's side of the logs (`ContainerLogFiles`): every unit sends its output to the
/// container's log directory, which exists before systemd first runs the unit (systemd does not
/// create the directory of an `append:` file, and a unit whose output cannot be opened fails) and
/// goes with the container. Reading is `ContainerLogReader`'s.
extension ContainerEngine {
    /// Creates `id`'s log directory (0700; the logs directory above it is one of `Layout`'s). The
    /// unit's start marker keeps `unit.log` within `logMaxBytes` (`ContainerUnitRenderer.markScript`):
    /// systemd appends to it on every start, its own restarts too, so the unit is where it is bounded.
    func prepareLog(_ id: Identifier) throws {
        try FileSystem.createDirectory(layout.container(id).logFiles.directory, mode: 0o700)
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
