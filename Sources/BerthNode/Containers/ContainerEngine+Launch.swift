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
    /// Properties that say why a unit went down.
    static let failureProperties = ["ActiveState", "SubState", "Result", "ExecMainCode", "ExecMainStatus"]

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
        let props = try await settledProperties(unit)
        if !ContainerEngine.upStates.contains(props["ActiveState"] ?? "") {
            throw linkFailureReason(id).map { linkFailed(id, what, $0) } ?? unitFailure(id, unit: unit, props, what)
        }
    }

    /// The unit's `ActiveState`, as systemd reports it now.
    func activeState(_ unit: String) async throws -> String? {
        do { return try await systemd.show([unit], properties: ["ActiveState"])[unit]?["ActiveState"] } catch {
            throw ContainerEngine.systemdFailed(error, "show \(unit)")
        }
    }

    /// The unit's `failureProperties`, once it is no longer `deactivating` (its stop commands,
    /// which remove the container, are still running): the answer then carries the state the
    /// unit ends in (`failed`), which `container.status` right after agrees with.
    func settledProperties(_ unit: String) async throws -> [String: String] {
        let deadline = ContinuousClock.now + .seconds(30)  // the units' TimeoutStopSec= bounds it too
        while true {
            let props: [String: String]
            do { props = try await systemd.show([unit], properties: ContainerEngine.failureProperties)[unit] ?? [:] } catch {
                throw ContainerEngine.systemdFailed(error, "show \(unit)")
            }
            guard props["ActiveState"] == "deactivating", ContinuousClock.now < deadline else { return props }
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
    /// runtime or the container's command exited), otherwise `systemd_failed`.
    func startFailure(_ id: Identifier, _ error: any Error, _ what: String) async -> RPCError {
        if let reason = linkFailureReason(id) { return linkFailed(id, what, reason) }
        let unit = ContainerUnitNames.service(id)
        if let props = try? await settledProperties(unit),
           let result = props["Result"], result != "success", !ContainerEngine.upStates.contains(props["ActiveState"] ?? "") {
            return unitFailure(id, unit: unit, props, what)
        }
        return ContainerEngine.systemdFailed(error, what)
    }

    func linkFailed(_ id: Identifier, _ what: String, _ reason: String) -> RPCError {
        RPCError(.linkFailed, "\(what): its links could not be applied: \(reason)", details: ["id": .string(id.rawValue)])
    }

    /// `runtime_failed` for a unit that is not up after its start, with what systemd says of it.
    func unitFailure(_ id: Identifier, unit: String, _ props: [String: String], _ what: String) -> RPCError {
        let state = props["ActiveState"] ?? "unknown"
        let result = props["Result"] ?? "unknown"
        var details: [String: JSONValue] = ["id": .string(id.rawValue), "unit": .string(unit), "state": .string(state),
                                            "result": .string(result)]
        if let sub = props["SubState"] { details["subState"] = .string(sub) }
        var exit = ""
        // ExecMainCode is the waitid() si_code: 1 exited (status is the exit code), 2/3 killed/dumped (a signal).
        if let code = props["ExecMainCode"], let status = props["ExecMainStatus"].flatMap({ Int($0) }), code != "0" {
            if code == "1" {
                details["exitStatus"] = .int(Int64(status))
                exit = ", its main process exited with status \(status)"
            } else {
                details["signal"] = .int(Int64(status))
                exit = ", its main process was killed by signal \(status)"
            }
        }
        return RPCError(.runtimeFailed, "\(what): the container is not running: \(unit) is \(state) (result \(result)\(exit))",
                        details: details)
    }
}
