import BerthCore
import BerthProtocol
import BerthSystem

/// The `container.links.*` methods: which links a container has is the engine's (`linkSets`, under
/// the container's lock); checking, applying and removing them is `ContainerLinkService`'s.
extension ContainerEngine {
    /// `container.links.get`: the stored links, `fromHost` filled in.
    public func links(_ params: ContainerRefParams) throws -> ContainerLinksResult {
        let id = try installedId(params.id)
        return ContainerLinksResult(id: id.rawValue, links: (linkSets[id] ?? []).map(\.wire))
    }

    /// `container.links.set`: replaces the links (checked before anything changes; see `changeLinks`).
    public func setLinks(_ params: ContainerLinksSetParams) async throws -> ContainerLinksResult {
        try await once(.containerLinksSet, params, requestId: params.requestId) {
            let id = try InstallValidation.identifier(params.id)
            let links = try await linkService.checked(InstallValidation.links(params.links))
            return try await changeLinks(id) { _ in links }
        }
    }

    /// `container.links.add`: one link, replacing (in its place) the link from the same address and
    /// port, or appended. Read, merged and written under the container's lock, so concurrent adds
    /// and removes on one container all land. Only the new link is planned; the merged list is held
    /// to the list's bounds (the links it kept were planned when they were stored).
    public func addLink(_ params: ContainerLinkAddParams) async throws -> ContainerLinksResult {
        try await once(.containerLinksAdd, params, requestId: params.requestId) {
            let id = try InstallValidation.identifier(params.id)
            let link = try await linkService.checked(InstallValidation.links([params.link]))[0]
            return try await changeLinks(id) { current in
                var links = current
                if let index = links.firstIndex(where: { $0.fromHost == link.fromHost && $0.fromPort == link.fromPort }) {
                    links[index] = link
                } else {
                    links.append(link)
                }
                try linkService.checkedList(links)
                return links
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
                    throw RPCError(.notFound, "container \(id.rawValue) has no link from \(NetworkLink.hostPort(fromHost, params.fromPort))",
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
            let lock = try await linkService.lock(id)
            defer { lock.close() }
            let pid = try await runningPID(id)
            let resolved = pid == nil ? [] : try await linkService.resolve(links)
            try await onStore { try $0.writeLinks(links, for: id) }
            linkSets[id] = links.isEmpty ? nil : links
            if let pid {
                do { try await linkService.apply(resolved, pid: pid) } catch {
                    try? await onStore { try $0.writeLinks(previous, for: id) }
                    linkSets[id] = previous.isEmpty ? nil : previous
                    await linkService.restore(previous, pid: pid)
                    throw error
                }
            }
            if previous.isEmpty != links.isEmpty, try writeUnits(for: record) { try await reloadSystemd() }
            return ContainerLinksResult(id: id.rawValue, links: links.map(\.wire))
        }
    }

    /// The reason its links hook left for a start that failed; nil when the container has no links
    /// or the hook did not fail.
    func linkFailureReason(_ id: Identifier) -> String? {
        linkSets[id] == nil ? nil : linkService.failureReason(id)
    }

    /// The PID of the container's first process when its unit is running; nil when it is not.
    func runningPID(_ id: Identifier) async throws -> Int32? {
        guard let state = try await activeState(ContainerUnitNames.service(id)), ContainerEngine.upStates.contains(state) else { return nil }
        return try await linkService.pid(of: id)
    }

    /// Before a delete stops the container: empties our chains in its namespace (which may outlive
    /// it when shared). A container that is not running has nothing to remove.
    func removeLiveLinks(_ id: Identifier) async throws {
        guard linkSets[id] != nil else { return }
        let lock = try await linkService.lock(id)
        defer { lock.close() }
        guard let pid = try await runningPID(id) else { return }
        try await linkService.remove(pid: pid)
    }
}
