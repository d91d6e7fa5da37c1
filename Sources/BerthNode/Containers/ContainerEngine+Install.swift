import BerthCore
import BerthProtocol
import BerthSystem

extension ContainerEngine {
    /// `container.install`. Order: a retried request answers from its record (`once`); validate
    /// everything; reserve ports; commit the record (staging dir + rename); write units; reload;
    /// mark start-on-boot and start when asked; write the request record (`once`); answer.
    public func install(_ params: ContainerInstallParams) async throws -> ContainerStatus {
        // Encoded once: the request log compares a retry's params with these, and the record keeps them.
        let paramsValue = try JSONValueEncoder().encode(params)
        return try await once(.containerInstall, encoded: paramsValue, requestId: params.requestId) {
            try await installOnce(params, paramsValue)
        }
    }

    private func installOnce(_ params: ContainerInstallParams, _ paramsValue: JSONValue) async throws -> ContainerStatus {
        let id = try InstallValidation.identifier(params.id)
        try InstallValidation.image(params.image)
        try InstallValidation.command(params.command ?? [])
        try InstallValidation.environmentSource(params.environmentSource)
        var environment = try InstallValidation.environment(params.environment ?? [])
        let pairs = try InstallValidation.ports(params.ports ?? [])
        try InstallValidation.volumes(params.volumes ?? [])
        let slice = try InstallValidation.slice(params.slice)
        let (restart, limits) = try InstallValidation.restartAndLimits(params)
        if let network = params.network {
            do { try ContainerUnitSpec.validateNetwork(network) } catch {
                throw RPCError(.invalidParams, "network: \(error.reason)", details: ["field": "network"])
            }
        }
        let links = try await linkService.checked(InstallValidation.links(params.links ?? []))
        let isolate = params.isolate == true
        if isolate && (params.command ?? []).isEmpty {
            throw RPCError(.invalidParams, "an isolated container needs its command (the image's entrypoint is replaced)",
                           details: ["field": "command"])
        }
        let socketActivated = params.socketActivated == true
        if socketActivated && pairs.isEmpty {
            throw RPCError(.invalidParams, "a socket-activated container needs at least one port", details: ["field": "ports"])
        }

        return try await withLock(id) {
            if let existing = try records[id] ?? (store.exists(id) ? try store.read(id) : nil) {
                // Acknowledged by the record but not by a request record (a crash in between):
                // the same request answers as the first would have (and `once` records it).
                if let requestId = params.requestId, existing.requestId == requestId, existing.installParams == paramsValue {
                    records[id] = existing
                    return try await currentStatus(id)
                }
                throw RPCError(.alreadyExists, "container \(id.rawValue) is already installed", details: ["id": .string(id.rawValue)])
            }
            environment = try await ContainerEngine.merging(environment, source: params.environmentSource)
            // Ports are reserved on the actor, one install at a time: concurrent reservers would all
            // try the same free ports and lose a claim on every collision. The claims are fsynced
            // off the actor, with the record (below): on the actor those two fsyncs per install
            // queued every other install behind them.
            let reservation = try InstallReservation(for: id, pairs, socketActivated: socketActivated, isolate: isolate,
                                                     ownerIsNew: records[id] == nil, ports: ports, uids: uids)
            let record = ContainerRecord(
                id: id.rawValue, image: params.image, command: params.command ?? [],
                ports: reservation.ports,
                environmentNames: environment.names, environmentSource: params.environmentSource,
                volumes: params.volumes ?? [], slice: slice, requestId: params.requestId,
                runtime: configuration.runtime.runtime, backendPorts: reservation.backendPorts, installParams: paramsValue,
                isolatedUID: reservation.uid, network: params.network, restart: restart, limits: limits)
            // Up to the commit a failure gives the claims back (`holding`); after it they are the record's.
            let rendered = try await reservation.holding {
                // Rendered once: this is the last validation before the commit, and the units written after it.
                let rendered: ContainerUnits
                do {
                    rendered = try units(for: record, links: links)
                    _ = try unitFiles.isolationScripts(for: record)
                } catch {
                    throw RPCError(.invalidParams, "\(error)")
                }
                // The claims and the record are made durable on a `berth-store` thread, so the actor
                // serves other installs meanwhile and their fsyncs overlap. The id's lock is held.
                // The port claims reach the disk before the record that names them does, so after a
                // power loss no record holds a port without its claim.
                let environment = environment
                try await onStore { store in
                    try reservation.syncClaims()
                    try store.create(record, environment: environment, links: links)
                }
                return rendered
            }
            records[id] = record
            linkSets[id] = links.isEmpty ? nil : links
            observer?(ContainerEvent(id: id, type: .installed))
            // Committed: a failure from here on is repaired by `open()`, which writes these again.
            try unitFiles.writeIsolationFiles(for: record)
            try prepareLog(id)
            // Checked before the files exist: systemd loads units it does not hold on first use.
            let reloadNeeded = await unitsLoaded(id)
            _ = try await ContainerEngine.blocking { [unitFiles] in try unitFiles.write(rendered) }
            if params.start == true { try setStartOnBoot(id, true) }
            if reloadNeeded { try await reloadSystemd() }
            if params.start == true {
                try await launch(id, restart: false, what: "container \(id.rawValue) is installed but did not start")
            }
            // Units systemd did not hold and nobody started are not loaded: that is `inactive`, the
            // answer `list` gives. Asking systemd would load the unit, and each load after the unit
            // directory changed makes systemd rescan the whole directory (a cost growing with every
            // container installed).
            return reloadNeeded || params.start == true
                ? try await currentStatus(id)
                : status(of: record, id: id, unit: .known(nil), enabled: startsOnBoot(id))
        }
    }

    /// `environment` over the variables fetched from `source` (none without one): `container.install`
    /// and `container.env.set`. The result is held to the same bounds as the variables given.
    static func merging(_ environment: Environment, source: String?) async throws(RPCError) -> Environment {
        guard let source else { return environment }
        do {
            var merged = try await EnvironmentFetcher().fetch(source)
            for variable in environment.variables { try merged.set(variable) }
            return merged
        } catch {
            throw RPCError(.invalidParams, "environmentSource: \(error)", details: ["field": "environmentSource"])
        }
    }

    /// `container.delete`: stops the unit, removes its units, start-on-boot link, record,
    /// environment and ports; nothing of any other container. A retry with the same requestId
    /// answers `{"done": true}` again, not `not_found`.
    public func delete(_ params: ContainerRefParams) async throws -> Bool {
        try await once(.containerDelete, params, requestId: params.requestId) { try await deleteOnce(params) }.done
    }

    private func deleteOnce(_ params: ContainerRefParams) async throws -> DoneResult {
        let id = try InstallValidation.identifier(params.id)
        return try await withLock(id) {
            guard records[id] != nil || store.exists(id) else { throw ContainerEngine.notFound(id) }
            let unit = ContainerUnitNames.service(id)
            try await removeLiveLinks(id)
            for extra in activationUnits(id) where extra != unit {
                try? await systemd.stop(extra, wait: true)
                if let port = ContainerUnitFiles.port(ofSocket: extra) {
                    try? await systemd.stop(ContainerUnitNames.proxy(id, externalPort: port), wait: true)
                }
            }
            do { try await systemd.stop(unit, wait: true) } catch {
                // A unit systemd never loaded is fine to delete; anything else is reported.
                let props = try? await systemd.show([unit], properties: ["LoadState", "ActiveState"])[unit]
                if props?["ActiveState"] == "active" { throw ContainerEngine.systemdFailed(error, "stopping \(unit)") }
            }
            try? await systemd.resetFailed(unit)
            try unitFiles.remove(id)
            try await reloadSystemd()
            try await onStore { try $0.remove(id) }
            records[id] = nil
            linkSets[id] = nil
            observer?(ContainerEvent(id: id, type: .deleted))
            _ = try ports.releaseAll(for: id)
            try? FileSystem.removeTree(layout.container(id).runDir)
            try? FileSystem.removeTree(layout.container(id).homeDir)
            try? FileSystem.removeTree(layout.container(id).logDir)
            do { _ = try uids.releaseAll(for: id) } catch { throw RPCError(.internal, "releasing the uid: \(error)") }
            return DoneResult()
        }
    }
}
