import BerthCore
import BerthProtocol
import BerthSystem

/// A container's links as the node applies them: checked before anything changes, stored in
/// `links.json` beside the record (by the engine), applied by the unit's `ExecStartPost=` hook on
/// every start (see `LinkApplyCommand`), applied live on a running container, and removed from the
/// namespace before a delete stops the container. The engine keeps who has which links and
/// serialises changes per container; this is everything that touches the links themselves.
struct ContainerLinkService: Sendable {
    let configuration: EngineConfiguration

    var layout: Layout { configuration.layout }

    // MARK: The hook

    /// The unit's `ExecStartPost=` argv for a container with `links`; nil without links (a
    /// container without links pays nothing at start) or without an applier.
    ///
    /// It runs through `env -i` with the node's runtime environment only, so what the manager's
    /// environment holds (a user manager's session variables, `SWIFT_BACKTRACE`, `GCONV_PATH`, ...)
    /// never steers a root process of the node; the container's variables are never in it (the
    /// runtime reads them from its `--env-file`).
    func hook(for id: Identifier, links: [NetworkLink]) -> [String]? {
        guard let prefix = configuration.linkApplier, !links.isEmpty else { return nil }
        let resolver = configuration.links.resolver
        let command = LinkApplyCommand(
            linksFile: layout.container(id).linksFile, container: ContainerUnitNames.containerName(id),
            runtime: configuration.runtime.runtime, runtimePath: configuration.runtime.path,
            hostAddressIPv4: resolver.hostAddressIPv4, hostAddressIPv6: resolver.hostAddressIPv6)
        let environment = processLookup.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return [configuration.runtime.tools.env, "-i"] + environment + prefix + [LinkApplyCommand.subcommand] + command.arguments
    }

    /// The reason the hook left for a start that failed (beside the links file); nil when it did not.
    func failureReason(_ id: Identifier) -> String? {
        let file = LinkApplyCommand.errorFile(forLinksFile: layout.container(id).linksFile)
        guard let bytes = try? FileSystem.readIfExists(file, limit: 64 << 10) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Forgets the hook's last failure before a start, so only this start's can be reported.
    func clearFailure(_ id: Identifier) {
        try? FileSystem.remove(LinkApplyCommand.errorFile(forLinksFile: layout.container(id).linksFile))
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

    // MARK: Checks

    /// Links checked as far as they can be without a lookup: the list's bounds and each link's
    /// syntax (`checkedList`), then what each complete link would resolve and plan to (`plan`).
    /// Every failure is `invalid_params` naming the link; nothing is stored or applied.
    func checked(_ links: [NetworkLink]) async throws(RPCError) -> [NetworkLink] {
        guard !links.isEmpty else { return [] }
        try checkedList(links)
        for link in links { try await plan(link) }
        return links
    }

    /// A list's bounds: an applier to keep them, how many, each link's syntax (IP literal or RFC 1123
    /// name; anything with blanks, shell or iptables syntax is refused) and no two from the same
    /// address and port. A list that changed by one link, itself `checked`, needs only this: the
    /// links it kept were planned when they were stored.
    func checkedList(_ links: [NetworkLink]) throws(RPCError) {
        guard !links.isEmpty else { return }
        try requireApplier()
        if links.count > ContractLimits.links { throw ContainerLinkService.invalid("at most \(ContractLimits.links) links per container") }
        do { try links.validate() } catch { throw ContainerLinkService.invalid(error.description) }
    }

    /// What the resolver and the planner refuse of one link: loopback targets without a host
    /// address, v6 from `::1`, mixed families. Names stand in for an address of their family here
    /// (the real resolver's rules, with a documentation address); they are resolved when applied.
    private func plan(_ link: NetworkLink) async throws(RPCError) {
        guard link.isComplete else { return }
        let stand = configuration.links.resolver
        let probe = LinkResolver(hostAddressIPv4: stand.hostAddressIPv4, hostAddressIPv6: stand.hostAddressIPv6,
                                 lookup: { _ in ["192.0.2.1", "2001:db8::1"] })
        let resolved: ResolvedLink?
        do { resolved = try await probe.resolve(link) } catch { throw ContainerLinkService.invalid(error.description) }
        if let resolved {
            do { _ = try IptablesPlanner.plans(for: [resolved]) } catch {
                throw ContainerLinkService.invalid("link \(link.displayForm): \(error)")
            }
        }
    }

    private func requireApplier() throws(RPCError) {
        guard configuration.linkApplier != nil else {
            throw ContainerLinkService.invalid("this node has no link applier configured, so it cannot keep links applied")
        }
    }

    static func invalid(_ reason: String) -> RPCError {
        RPCError(.invalidParams, "links: \(reason)", details: ["field": "links"])
    }

    // MARK: Live

    /// The cross-process lock of a container's links (see `LinkFileLock`); close it to release.
    func lock(_ id: Identifier) async throws -> FileDescriptor {
        do { return try await LinkFileLock.acquire(linksFile: layout.container(id).linksFile) } catch { throw error.rpcError }
    }

    /// The PID of the container's first process; nil when it has none.
    func pid(of id: Identifier) async throws -> Int32? {
        do { return try await processLookup.pid(ofContainer: ContainerUnitNames.containerName(id)) } catch {
            if (error as LinkError).kind == .noProcess { return nil }
            throw ContainerLinkService.failure(error)
        }
    }

    /// The addresses `links` point at now (names looked up).
    func resolve(_ links: [NetworkLink]) async throws -> [ResolvedLink] {
        do { return try await configuration.links.resolver.resolve(links) } catch { throw ContainerLinkService.failure(error) }
    }

    /// Applies `resolved` in the namespace of `pid` (replacing the rules there).
    func apply(_ resolved: [ResolvedLink], pid: Int32) async throws {
        do { try await configuration.links.applier.apply(resolved, pid: pid) } catch { throw ContainerLinkService.failure(error) }
    }

    /// Puts the rules of `links` back in the namespace of `pid` after a failed `apply`, as far as
    /// they can be (the failure reported is the apply's).
    func restore(_ links: [NetworkLink], pid: Int32) async {
        if let old = try? await configuration.links.resolver.resolve(links) {
            try? await configuration.links.applier.apply(old, pid: pid)
        }
    }

    /// Empties our chains in the namespace of `pid` (which may outlive the container when shared).
    func remove(pid: Int32) async throws {
        do { try await configuration.links.applier.remove(pid: pid) } catch {
            if (error as LinkError).kind != .noProcess { throw ContainerLinkService.failure(error) }
        }
    }

    // MARK: Wire

    /// A `LinkError` as the caller sees it; anything else unchanged.
    static func failure(_ error: any Error) -> any Error {
        (error as? LinkError)?.rpcError ?? error
    }
}
