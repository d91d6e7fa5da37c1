import BerthCore

/// The result of a container's last run, decided in one place: systemd's `Result`, except an OOM
/// kill systemd cannot see. systemd learns of OOM kills only from cgroup v2's `memory.events` of
/// the unit's own cgroup; on cgroup v1 (and wherever the container's cgroup is not the unit's) a
/// container the kernel killed for memory ends as `exit-code` with status 137, like a kill -9.
/// The unit's stop marker tells them apart (`ContainerUnitRenderer.markScript`) when the run ends,
/// whether the node is up or not, and this reads it back.
extension ContainerEngine {
    /// systemd's result for `unit`, or `oom-kill` when the run ended with status 137, `record`
    /// has a memory limit, and the stop marker that ended `unit.log` says the kernel OOM-killed it.
    func runResult(_ unit: UnitState, _ record: ContainerRecord?, id: Identifier?) -> String {
        guard unit.result == "exit-code", ContainerEngine.mainExit(of: unit).status == 137,
              record?.limits?.memory != nil, let id, stopMarkedOOMKill(id) else { return unit.result }
        return "oom-kill"
    }

    /// Whether the last line of `id`'s unit log is the stop marker of an OOM-killed run. A read of
    /// the log's last window, only for the few runs that ended with 137 under a memory limit.
    private func stopMarkedOOMKill(_ id: Identifier) -> Bool {
        let cursor = LogFileCursor(path: layout.container(id).logFiles.unitLog)
        guard let last = (try? cursor.snapshot(tail: 1, following: false))?.last, last.stream == "systemd" else {
            return false
        }
        return String(decoding: last.text, as: UTF8.self).hasPrefix(ContainerEngine.oomKillMarker)
    }

    /// How `markScript` begins the stop marker of an OOM-killed run.
    static let oomKillMarker = "stopped: result oom-kill,"
}
