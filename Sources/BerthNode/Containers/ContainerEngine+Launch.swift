import BerthCore
import BerthProtocol

/// Starting a container so that "started" means it runs: `container.start`, `container.restart`
/// and `container.install` with `start` all come through `launch`.
///
/// systemd's start job is the first witness (the D-Bus client returns when its JobRemoved arrives;
/// a failed job is an error). It is enough where the unit reports readiness: podman's notify shape
/// (conmon's READY=1 once the container runs) and socket activation (the port wait). The attached
/// shapes (every docker container) are `Type=simple`: their job is done once the CLI was forked,
/// before the runtime has even looked for the image, so a container that cannot start, or whose
/// command exits at once, would be reported as started. For those the node waits until the runtime
/// reports the container running (or the unit has already gone down), then `startSettle` more, and
/// then asks systemd once more. A unit that is not up then is `runtime_failed`, with systemd's
/// account of it (`Result`, the main process's exit) in `data`.
extension ContainerEngine {
    /// States in which a started unit still counts as up.
    static let upStates: Set<String> = ["active", "activating", "reloading"]

    /// Starts (`restart` false) or restarts the container's activation units; returns once the
    /// container runs, or throws why it does not.
    func launch(_ id: Identifier, restart: Bool, what: String) async throws {
        try prepareLog(id)
        for unit in activationUnits(id) {
            do {
                if restart { try await systemd.restart(unit) } else { try await systemd.start(unit) }
            } catch {
                throw await startFailure(id, error, "\(what): \(unit)")
            }
        }
        // A socket-activated container starts on its first connection; its sockets are what started.
        guard let record = records[id], record.backendPorts == nil else { return }
        // Past the guard the shape is `.simple`: only podman's notify shape reports readiness.
        if configuration.runtime.runtime != .podman { try await awaitRunning(id) }
        // One property on the way that succeeds; systemd's account of a failure only when it failed.
        let unit = ContainerUnitNames.service(id)
        if ContainerEngine.upStates.contains(try await activeState(unit) ?? "") { return }
        let state = try await settledState(unit)
        if !ContainerEngine.upStates.contains(state?.activeState ?? "inactive") {
            if let reason = linkFailureReason(id) { throw linkFailed(id, what, reason) }
            throw await unitFailure(id, unit: unit, state, what)
        }
    }

    /// The unit's `ActiveState`, as systemd reports it now.
    func activeState(_ unit: String) async throws -> String? {
        do { return try await systemd.show([unit], properties: ["ActiveState"])[unit]?["ActiveState"] } catch {
            throw ContainerEngine.systemdFailed(error, "show \(unit)")
        }
    }

    /// The unit's state and facts, once it is no longer `deactivating` (its stop commands, which
    /// remove the container, are still running): the answer then carries the state the unit ends
    /// in (`failed`), which `container.status` right after agrees with; nil when not loaded.
    func settledState(_ unit: String) async throws -> UnitState? {
        let deadline = ContinuousClock.now + .seconds(30)  // the units' TimeoutStopSec= bounds it too
        while true {
            let state: UnitState?
            do { state = try await systemd.unitState(unit) } catch {
                throw ContainerEngine.systemdFailed(error, "show \(unit)")
            }
            guard state?.activeState == "deactivating", ContinuousClock.now < deadline else { return state }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Until the runtime reports the container running while its unit is up, then `startSettle`
    /// more; returns early when the unit went down (the caller reports it). Bounded by the start
    /// timeout, after which systemd's word (the unit is up) stands.
    func awaitRunning(_ id: Identifier) async throws {
        let unit = ContainerUnitNames.service(id)
        let name = ContainerUnitNames.containerName(id)
        let lookup = linkService.processLookup
        let deadline = ContinuousClock.now + configuration.startTimeout
        while ContinuousClock.now < deadline {
            guard let state = try await activeState(unit), ContainerEngine.upStates.contains(state) else { return }
            if (try? await lookup.pid(ofContainer: name)) != nil {
                // Running now; a command that fails at once ends well within this.
                try await Task.sleep(for: configuration.startSettle)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The error for a start whose job failed: `link_failed` with the hook's reason when its links
    /// hook failed, `runtime_failed` with systemd's account when the unit itself failed (the
    /// runtime or the container's command exited), otherwise `systemd_failed` (with the log's last
    /// lines too: whatever systemd or the runtime said about it is there).
    func startFailure(_ id: Identifier, _ error: any Error, _ what: String) async -> RPCError {
        if let reason = linkFailureReason(id) { return linkFailed(id, what, reason) }
        let unit = ContainerUnitNames.service(id)
        if let state = try? await settledState(unit), !state.result.isEmpty, state.result != "success",
           !ContainerEngine.upStates.contains(state.activeState) {
            return await unitFailure(id, unit: unit, state, what)
        }
        var failure = ContainerEngine.systemdFailed(error, what)
        failure.details["id"] = .string(id.rawValue)
        failure.details["log"] = await failureLog(id)
        return failure
    }

    func linkFailed(_ id: Identifier, _ what: String, _ reason: String) -> RPCError {
        RPCError(.linkFailed, "\(what): its links could not be applied: \(reason)", details: ["id": .string(id.rawValue)])
    }

    /// `runtime_failed` for a unit that is not up after its start, with what systemd says of it
    /// (`state`, `subState`, `result`, `exitStatus` or `exitSignal`) and the log's last lines (`log`):
    /// the runtime's own message when it could not start the container, the command's last output
    /// when it exited.
    func unitFailure(_ id: Identifier, unit: String, _ state: UnitState?, _ what: String) async -> RPCError {
        let active = state?.activeState ?? "inactive"
        let result = state.map { $0.result.isEmpty ? "unknown" : runResult($0, records[id], id: id) } ?? "unknown"
        var details: [String: JSONValue] = ["id": .string(id.rawValue), "unit": .string(unit), "state": .string(active),
                                            "result": .string(result)]
        if let sub = state?.subState { details["subState"] = .string(sub) }
        var exit = ""
        if let state {
            switch ContainerEngine.mainExit(of: state) {
            case (let status?, _):
                details["exitStatus"] = .int(Int64(status))
                exit = ", its main process exited with status \(status)"
            case (_, let signal?):
                details["exitSignal"] = .string(signal)
                exit = ", its main process was killed by \(signal)"
            default:
                break
            }
        }
        details["log"] = await failureLog(id)
        return RPCError(.runtimeFailed, "\(what): the container is not running: \(unit) is \(active) (result \(result)\(exit))",
                        details: details)
    }

    /// The last `ContractLimits.failureLogLines` lines of the container's log, each cut to
    /// `failureLogLineBytes`, as the `log` of a start's error (`[]` when it cannot be read: the
    /// error is what matters).
    func failureLog(_ id: Identifier) async -> JSONValue {
        let log = ContainerLog(id: id, files: layout.container(id).logFiles)
        let lines = (try? await ContainerEngine.blocking {
            try log.snapshot(tail: ContractLimits.failureLogLines, since: nil, following: false).lines
        }) ?? []
        let cut = lines.map { $0.cut(toBytes: ContractLimits.failureLogLineBytes) }
        return (try? JSONValueEncoder().encode(cut)) ?? .array([])
    }
}
