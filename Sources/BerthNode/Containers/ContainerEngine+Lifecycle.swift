import BerthCore
import BerthProtocol
import BerthSystem

extension ContainerEngine {
    func installedId(_ text: String) throws -> Identifier {
        let id = try InstallValidation.identifier(text)
        guard records[id] != nil else { throw ContainerEngine.notFound(id) }
        return id
    }

    /// A coalesced daemon-reload (`ReloadCoalescer`); its failure is `systemd_failed`.
    func reloadSystemd() async throws {
        do { try await reloads.reload() } catch { throw ContainerEngine.systemdFailed(error, "daemon-reload") }
    }

    /// Whether systemd holds any of the container's units loaded from a file, so that rewriting them
    /// needs a daemon-reload. systemd (246 and later; 252 here) reads a unit it has not loaded, or
    /// holds only as `not-found`, from disk when it is first needed (it rebuilds its map of unit files
    /// when the unit directory changed), so a new container's units need no reload, and 1,000
    /// installs are not 1,000 reloads that each re-read every unit file. The pattern may match a
    /// longer id's units too (`ctr-a[.@]*` matches `ctr-a.b.service`): that only costs a reload.
    /// When systemd cannot be asked, the answer is yes: reload, as always.
    func unitsLoaded(_ id: Identifier) async -> Bool {
        let pattern = Identifier.unitPrefix + id.rawValue + "[.@]*"
        guard let listed = try? await systemd.listUnits(matching: pattern) else { return true }
        return listed.contains { $0.loadState != "not-found" }
    }

    /// Sets start-on-boot, with the reload that lets systemd see it; nothing when it is already so.
    func markStartOnBoot(_ id: Identifier, _ active: Bool) async throws {
        guard startsOnBoot(id) != active else { return }
        try setStartOnBoot(id, active)
        try await reloadSystemd()
    }

    /// What `start` and `restart` do first: mark start-on-boot, and forget the unit's failed state
    /// and its links hook's last failure, so only this start's can be reported. True when the unit
    /// had hit its start limit (a crash loop: systemd refuses every start until the reset), so the
    /// answer can say the reset was needed.
    private func prepareStart(_ id: Identifier) async throws -> Bool {
        try await markStartOnBoot(id, true)
        let unit = ContainerUnitNames.service(id)
        // The node's mirror of systemd (UnitState), as status reads it, not a second property query.
        let state = (try? await systemd.unitState(unit)) ?? nil
        let hitLimit = state.map { (records[id]?.restart ?? RestartPolicy())
            .hitStartLimit(activeState: $0.activeState, result: $0.result, restarts: Int($0.restarts)) } ?? false
        try? await systemd.resetFailed(unit)
        linkService.clearFailure(id)
        return hitLimit
    }

    /// `container.start`: marks start-on-boot and starts the unit; answers once the container runs
    /// (`launch`).
    public func start(_ params: ContainerRefParams) async throws -> ContainerStatus {
        try await once(.containerStart, params, requestId: params.requestId) { try await startOnce(params) }
    }

    private func startOnce(_ params: ContainerRefParams) async throws -> ContainerStatus {
        let id = try installedId(params.id)
        return try await withLock(id) {
            let limitReset = try await prepareStart(id)
            try await launch(id, restart: false, what: "starting container \(id.rawValue)")
            var status = try await currentStatus(id)
            if limitReset { status.startLimitReset = true }
            return status
        }
    }

    /// `container.stop`: clears start-on-boot and stops the unit (waiting unless `wait == false`).
    public func stop(_ params: ContainerStopParams) async throws -> ContainerStatus {
        try await once(.containerStop, params, requestId: params.requestId) { try await stopOnce(params) }
    }

    private func stopOnce(_ params: ContainerStopParams) async throws -> ContainerStatus {
        if let seconds = params.timeoutSeconds, seconds < 1 {
            throw RPCError(.invalidParams, "timeoutSeconds: at least 1, not \(seconds)", details: ["field": "timeoutSeconds"])
        }
        let id = try installedId(params.id)
        return try await withLock(id) {
            let unit = ContainerUnitNames.service(id)
            try await markStartOnBoot(id, false)
            let deadline = params.timeoutSeconds.map { ContinuousClock.now + .seconds($0) }
            for unit in activationUnits(id) + (records[id]?.backendPorts == nil ? [] : [unit]) {
                try await stop(unit, wait: params.wait ?? true, until: deadline)
            }
            return try await currentStatus(id)
        }
    }

    /// Stops `unit`, waiting for it when `wait`, but not past `deadline` (`timeoutSeconds`): then the
    /// caller gets `timeout` while systemd's stop job goes on (the unit's own TimeoutStopSec= ends it).
    private func stop(_ unit: String, wait: Bool, until deadline: ContinuousClock.Instant?) async throws {
        let systemd = self.systemd
        guard wait, let deadline else {
            do { try await systemd.stop(unit, wait: wait) } catch { throw ContainerEngine.systemdFailed(error, "stopping \(unit)") }
            return
        }
        try await withTimeout(deadline - .now, orThrow: {
            RPCError(.timeout, "\(unit) did not stop within timeoutSeconds; systemd goes on stopping it",
                     details: ["unit": .string(unit)])
        }) {
            do { try await systemd.stop(unit, wait: true) } catch { throw ContainerEngine.systemdFailed(error, "stopping \(unit)") }
        }
    }

    /// `container.restart`.
    public func restart(_ params: ContainerRefParams) async throws -> ContainerStatus {
        try await once(.containerRestart, params, requestId: params.requestId) { try await restartOnce(params) }
    }

    private func restartOnce(_ params: ContainerRefParams) async throws -> ContainerStatus {
        let id = try installedId(params.id)
        return try await withLock(id) {
            let unit = ContainerUnitNames.service(id)
            let limitReset = try await prepareStart(id)
            if records[id]?.backendPorts != nil {
                // The container starts again on the next connection; its sockets stay up.
                do { try await systemd.stop(unit, wait: true) } catch { throw ContainerEngine.systemdFailed(error, "stopping \(unit)") }
                for socket in activationUnits(id) {
                    do { try await systemd.start(socket) } catch { throw ContainerEngine.systemdFailed(error, "starting \(socket)") }
                }
            } else {
                try await launch(id, restart: true, what: "restarting container \(id.rawValue)")
            }
            var status = try await currentStatus(id)
            if limitReset { status.startLimitReset = true }
            return status
        }
    }

    /// `container.status`.
    public func status(_ params: ContainerRefParams) async throws -> ContainerStatus {
        try await currentStatus(try installedId(params.id))
    }

    /// `container.ports`.
    public func ports(_ params: ContainerRefParams) throws -> ContainerPortsResult {
        let id = try installedId(params.id)
        return ContainerPortsResult(id: id.rawValue, ports: records[id]!.ports.map(\.wire))
    }

    /// `container.env.get`.
    public func environment(_ params: ContainerRefParams) throws -> ContainerEnvResult {
        let id = try installedId(params.id)
        let env = try store.readEnvironment(id)
        return ContainerEnvResult(id: id.rawValue, environment: env.wire, environmentSource: records[id]!.environmentSource)
    }

    /// `container.env.set` and `.patch`: rewrites the environment file (and the record's list of
    /// names when it changed); the runtime reads the file at every start, so the unit stays as it
    /// is and a running container sees the change at its next start. `source`: nil keeps the
    /// recorded `environmentSource` (patch), otherwise it replaces it (set; `.some(nil)` clears it).
    func replaceEnvironment(_ idText: String, source: String?? = nil,
                            _ change: (Environment) throws(RPCError) -> Environment) async throws -> ContainerEnvResult {
        let id = try installedId(idText)
        return try await withLock(id) {
            guard var record = records[id] else { throw ContainerEngine.notFound(id) }
            let env = try change(try store.readEnvironment(id))
            record.environmentNames = env.names
            if let source { record.environmentSource = source }
            let recordChanged = record != records[id]
            let updated = record
            try await onStore { store in
                try store.writeEnvironment(env, for: id)
                if recordChanged { try store.update(updated) }
            }
            records[id] = record
            return ContainerEnvResult(id: id.rawValue, environment: env.wire, environmentSource: record.environmentSource, appliesOnNextStart: true)
        }
    }

    /// `container.env.set`: the environment given, over what `environmentSource` serves when one is
    /// named (fetched now, as at install); the recorded source becomes this one (none when absent).
    public func setEnvironment(_ params: ContainerEnvSetParams) async throws -> ContainerEnvResult {
        try await once(.containerEnvSet, params, requestId: params.requestId) {
            try InstallValidation.environmentSource(params.environmentSource)
            let given = try InstallValidation.environment(params.environment)
            _ = try installedId(params.id)
            let env = try await ContainerEngine.merging(given, source: params.environmentSource)
            return try await replaceEnvironment(params.id, source: .some(params.environmentSource)) { _ throws(RPCError) in env }
        }
    }

    public func patchEnvironment(_ params: ContainerEnvPatchParams) async throws -> ContainerEnvResult {
        try await once(.containerEnvPatch, params, requestId: params.requestId) { try await patchEnvironmentOnce(params) }
    }

    private func patchEnvironmentOnce(_ params: ContainerEnvPatchParams) async throws -> ContainerEnvResult {
        let set = try InstallValidation.environment(params.set ?? [], field: "set")
        let unset = params.unset ?? []
        try InstallValidation.unsetNames(unset)
        // Sets, then unsets: a name in both ends up unset. Applied as unsets first (skipping what they
        // remove), so the bounds are checked on the result, not on a larger state in between.
        let removed = Set(unset)
        return try await replaceEnvironment(params.id) { current throws(RPCError) in
            var env = current
            for name in unset { _ = env.unset(name) }
            do {
                for variable in set.variables where !removed.contains(variable.name) { try env.set(variable) }
            } catch { throw RPCError(.invalidParams, "set: \(error)", details: ["field": "set"]) }
            return env
        }
    }

    /// Reloads issued so far (tests, benchmarks).
    public func reloadCount() async -> Int { await reloads.reloadCount }
}
