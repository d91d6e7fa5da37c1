import BerthCore

/// What the container engine calls: resolve a container's links, find its process, apply them
/// there. One value per node configuration; it holds no state.
public struct ContainerLinks: Sendable {
    public var resolver: LinkResolver
    public var applier: LinkApplier

    public init(resolver: LinkResolver = LinkResolver(), applier: LinkApplier = LinkApplier()) {
        self.resolver = resolver
        self.applier = applier
    }

    /// Resolves `links` (skipping incomplete ones) and applies them to the container `name` of
    /// `lookup`'s runtime, replacing whatever links it had. Returns what was applied.
    @discardableResult
    public func apply(_ links: [NetworkLink], toContainer name: String,
                      lookup: ContainerProcessLookup) async throws(LinkError) -> [ResolvedLink] {
        let resolved = try await resolver.resolve(links)
        let pid = try await lookup.pid(ofContainer: name)
        try await applier.apply(resolved, pid: pid)
        return resolved
    }

    /// Removes every rule of ours from the container `name` (before it is deleted, or on unlink).
    public func remove(fromContainer name: String, lookup: ContainerProcessLookup) async throws(LinkError) {
        let pid = try await lookup.pid(ofContainer: name)
        try await applier.remove(pid: pid)
    }
}
