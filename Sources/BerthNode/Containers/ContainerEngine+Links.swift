import BerthCore
import BerthProtocol
import BerthSystem

/// Links: stored in `links.json` beside the record, applied by the unit's `ExecStartPost=` hook on
/// every start (see `LinkApplyCommand`), applied live by `container.links.set` on a running
/// container, removed from the namespace by `container.delete` before the container stops.
extension ContainerEngine {
    /// The unit's `ExecStartPost=` argv for a container with `links`; nil without links (a
    /// container without links pays nothing at start) or without an applier.
    ///
    /// It runs through `env -i` with the node's runtime environment only, so what the manager's
    /// environment holds (a user manager's session variables, `SWIFT_BACKTRACE`, `GCONV_PATH`, ...)
    /// never steers a root process of the node; the container's variables are never in it (the
    /// runtime reads them from its `--env-file`).
    func linkHook(for id: Identifier, links: [NetworkLink]) -> [String]? {
        guard let prefix = configuration.linkApplier, !links.isEmpty else { return nil }
        let resolver = configuration.links.resolver
        let command = LinkApplyCommand(
            linksFile: layout.container(id).linksFile, container: ContainerUnitNames.containerName(id),
            runtime: configuration.runtime.runtime, runtimePath: configuration.runtime.path,
            hostAddressIPv4: resolver.hostAddressIPv4, hostAddressIPv6: resolver.hostAddressIPv6)
        let environment = processLookup.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return [configuration.runtime.tools.env, "-i"] + environment + prefix + [LinkApplyCommand.subcommand] + command.arguments
    }

    /// How the node finds a container's first process (the runtime it renders units for).
    var processLookup: ContainerProcessLookup {
        var environment = configuration.runtimeEnvironment
        if let dockerHost = configuration.runtime.dockerHost, configuration.runtime.runtime == .docker {
            environment["DOCKER_HOST"] = dockerHost
        }
        return ContainerProcessLookup(runtime: configuration.runtime.runtime, executable: configuration.runtime.path,
                                      environment: environment)
    }

    /// The cross-process lock of a container's links (see `LinkFileLock`); close it to release.
    func lockLinks(_ id: Identifier) async throws -> FileDescriptor {
        do { return try await LinkFileLock.acquire(linksFile: layout.container(id).linksFile) } catch { throw error.rpcError }
    }

    /// A `LinkError` as the caller sees it; anything else unchanged.
    static func linkFailure(_ error: any Error) -> any Error {
        (error as? LinkError)?.rpcError ?? error
    }

    /// Links checked as far as they can be without a lookup: syntax (IP literal or RFC 1123
    /// name; anything with blanks, shell or iptables syntax is refused), duplicates, loopback
    /// targets without a host address, and what the planner refuses (v6 from `::1`, mixed
    /// families). Names stand in for an address of their family here; they are resolved when
    /// applied. Every failure is `invalid_params` naming the link; nothing is stored or applied.
    func checkedLinks(_ links: [NetworkLink]) async throws(RPCError) -> [NetworkLink] {
        func invalid(_ reason: String) -> RPCError {
            RPCError(.invalidParams, "links: \(reason)", details: ["field": "links"])
        }
        guard !links.isEmpty else { return [] }
        guard configuration.linkApplier != nil else {
            throw invalid("this node has no link applier configured, so it cannot keep links applied")
        }
        if links.count > ContractLimits.links { throw invalid("at most \(ContractLimits.links) links per container") }
        do { try links.validate() } catch { throw invalid(error.description) }
        let stand = configuration.links.resolver
        for link in links where link.isComplete {
            // The real resolver's rules, with a documentation address standing in for each name.
            let probe = LinkResolver(hostAddressIPv4: stand.hostAddressIPv4, hostAddressIPv6: stand.hostAddressIPv6,
                                     lookup: { _ in ["192.0.2.1", "2001:db8::1"] })
            let resolved: ResolvedLink?
            do { resolved = try await probe.resolve(link) } catch { throw invalid(error.description) }
            if let resolved {
                do { _ = try IptablesPlanner.plans(for: [resolved]) } catch { throw invalid("link \(link.displayForm): \(error)") }
            }
        }
        return links
    }

    /// `container.links.get`: the stored links, `fromHost` filled in.
    public func links(_ params: ContainerRefParams) throws -> ContainerLinksResult {
        let id = try installedId(params.id)
        return ContainerLinksResult(id: id.rawValue, links: (linkSets[id] ?? []).map(\.wire))
    }

    /// `container.links.set`: replaces the links (checked before anything changes; see `changeLinks`).
    public func setLinks(_ params: ContainerLinksSetParams) async throws -> ContainerLinksResult {
        try await once(.containerLinksSet, params, requestId: params.requestId) {
            let id = try InstallValidation.identifier(params.id)
            let links = try await checkedLinks(InstallValidation.links(params.links))
            return try await changeLinks(id) { _ in links }
        }
    }

    /// `container.links.add`: one link, replacing (in its place) the link from the same address and
    /// port, or appended. Read, merged and written under the container's lock, so concurrent adds
    /// and removes on one container all land.
    public func addLink(_ params: ContainerLinkAddParams) async throws -> ContainerLinksResult {
        try await once(.containerLinksAdd, params, requestId: params.requestId) {
            let id = try InstallValidation.identifier(params.id)
            let link = try await checkedLinks(InstallValidation.links([params.link]))[0]
            return try await changeLinks(id) { current in
                var links = current
                if let index = links.firstIndex(where: { $0.fromHost == link.fromHost && $0.fromPort == link.fromPort }) {
                    links[index] = link
                } else {
                    links.append(link)
                }
                return try await checkedLinks(links)  // the bounds of the whole list
            }
        }
    }

    /// `container.links.remove`: the link from `fromHost:fromPort`; `not_found` when there is none.
    public func removeLink(_ params: ContainerLinkRemoveParams) async throws -> ContainerLinksResult {
        try await once(.containerLinksRemove, params, requestId: params.requestId) {
            let id = try InstallValidation.identifier(params.id)
            let fromHost = params.fromHost ?? NetworkLink.defaultFromHost
            if let problem = HostSyntax.problem(with: fromHost, allowName: false) {
                throw RPCError(.invalidParams, "fromHost: \(problem)", details: ["field": "fromHost"])
            }
            guard params.fromPort != 0 else {
                throw RPCError(.invalidParams, "fromPort: a link's port is 1 to 65535", details: ["field": "fromPort"])
            }
            return try await changeLinks(id) { current in
                let kept = current.filter { !($0.fromHost == fromHost && $0.fromPort == params.fromPort) }
                guard kept.count < current.count else {
                    let source = fromHost.contains(":") ? "[\(fromHost)]:\(params.fromPort)" : "\(fromHost):\(params.fromPort)"
                    throw RPCError(.notFound, "container \(id.rawValue) has no link from \(source)",
                                   details: ["id": .string(id.rawValue), "fromHost": .string(fromHost), "fromPort": .int(Int64(params.fromPort))])
                }
                return kept
            }
        }
    }

    /// Replaces a container's links with what `change` makes of the current ones, under its lock.
    /// On a running container the targets are resolved first, then the file is replaced and the
    /// rules are applied live (no restart); if applying fails the previous file and rules are put
    /// back and the caller gets `link_failed`. The unit is re-rendered (one coalesced reload) only
    /// when the container gains its first link or loses its last (the hook comes or goes).
    func changeLinks(_ id: Identifier, _ change: ([NetworkLink]) async throws -> [NetworkLink]) async throws -> ContainerLinksResult {
        try await withLock(id) {
            guard let record = records[id] else { throw ContainerEngine.notFound(id) }
            let previous = linkSets[id] ?? []
            let links = try await change(previous)
            let lock = try await lockLinks(id)
            defer { lock.close() }
            let pid = try await runningPID(id)
            var resolved: [ResolvedLink] = []
            if pid != nil {
                do { resolved = try await configuration.links.resolver.resolve(links) } catch { throw ContainerEngine.linkFailure(error) }
            }
            try await onStore { try $0.writeLinks(links, for: id) }
            linkSets[id] = links.isEmpty ? nil : links
            if let pid {
                do { try await configuration.links.applier.apply(resolved, pid: pid) } catch {
                    try? await onStore { try $0.writeLinks(previous, for: id) }
                    linkSets[id] = previous.isEmpty ? nil : previous
                    if let old = try? await configuration.links.resolver.resolve(previous) {
                        try? await configuration.links.applier.apply(old, pid: pid)
                    }
                    throw ContainerEngine.linkFailure(error)
                }
            }
            if previous.isEmpty != links.isEmpty, try writeUnits(for: record) { try await reloadSystemd() }
            return ContainerLinksResult(id: id.rawValue, links: links.map(\.wire))
        }
    }

    /// The reason its links hook left for a start that failed (beside the links file); nil when
    /// the container has no links or the hook did not fail.
    func linkFailureReason(_ id: Identifier) -> String? {
        let file = LinkApplyCommand.errorFile(forLinksFile: layout.container(id).linksFile)
        guard linkSets[id] != nil, let bytes = try? FileSystem.readIfExists(file, limit: 64 << 10) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Forgets the hook's last failure before a start, so only this start's can be reported.
    func clearLinkFailure(_ id: Identifier) {
        try? FileSystem.remove(LinkApplyCommand.errorFile(forLinksFile: layout.container(id).linksFile))
    }

    /// The PID of the container's first process when its unit is running; nil when it is not.
    func runningPID(_ id: Identifier) async throws -> Int32? {
        let unit = ContainerUnitNames.service(id)
        guard let state = try await activeState(unit), ContainerEngine.upStates.contains(state) else { return nil }
        do { return try await processLookup.pid(ofContainer: ContainerUnitNames.containerName(id)) } catch {
            if (error as LinkError).kind == .noProcess { return nil }
            throw ContainerEngine.linkFailure(error)
        }
    }

    /// Before a delete stops the container: empties our chains in its namespace (which may outlive
    /// it when shared). A container that is not running has nothing to remove.
    func removeLiveLinks(_ id: Identifier) async throws {
        guard linkSets[id] != nil else { return }
        let lock = try await lockLinks(id)
        defer { lock.close() }
        guard let pid = try await runningPID(id) else { return }
        do { try await configuration.links.applier.remove(pid: pid) } catch {
            if (error as LinkError).kind != .noProcess { throw ContainerEngine.linkFailure(error) }
        }
    }
}
