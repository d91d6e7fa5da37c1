import BerthCore

/// The result of a container's last run, decided in one place: systemd's `Result`, except a start
/// limit and an OOM kill systemd does not name. When the start limit ends a crash loop, systemd 252
/// keeps the last exit's `Result` (`exit-code`); `RestartPolicy.hitStartLimit` tells it apart, so
/// status says `start-limit-hit` as the users expect from a crash loop. And an OOM kill
/// systemd cannot see. systemd learns of OOM kills only from cgroup v2's `memory.events` of
/// the unit's own cgroup; on cgroup v1 (and wherever the container's cgroup is not the unit's) a
/// container the kernel killed for memory ends as `exit-code` with status 137, like a kill -9.
/// The unit's stop marker tells them apart (`ContainerUnitRenderer.markScript`) when the run ends,
/// whether the node is up or not, and this reads it back.
extension ContainerEngine {
    /// systemd's result for `unit`; `start-limit-hit` when `record`'s restart policy gave up on a
    /// failed unit; or `oom-kill` when the run ended with status 137, `record` has a memory limit,
    /// and the stop marker that ended `unit.log` says the kernel OOM-killed it.
    func runResult(_ unit: UnitState, _ record: ContainerRecord?, id: Identifier?) -> String {
        if let policy = record?.restart,
           policy.hitStartLimit(activeState: unit.activeState, result: unit.result, restarts: Int(unit.restarts)) {
            return "start-limit-hit"
        }
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
