import BerthCore
import BerthSystem

/// Turns a container's `NetworkLink`s into `ResolvedLink`s: every target becomes an IP literal of
/// the link's family (the family of its from address), so only addresses ever enter a rule.
///
/// A loopback target (`localhost`, a name under `.localhost`, `127.0.0.0/8`, `::1`,
/// `::ffff:127.x.y.z`) means **the node's host itself**. Inside the container's network namespace
/// loopback is the container, so the target becomes the host's address as the container reaches it
/// (`hostAddressIPv4`/`hostAddressIPv6`, e.g. the gateway of the container network). A service on the
/// host must listen on that address (or the wildcard) to be reached. Without a host address for the
/// family the link is refused: silently rewriting to some "first address" (geard) or to the
/// container's own loopback would both surprise.
///
/// Incomplete links (no target host or port yet) are skipped: they are stored, not applied.
public struct LinkResolver: Sendable {
    /// Resolves a host name to addresses (IP literals, any family, the resolver's order).
    public typealias Lookup = @Sendable (String) async throws -> [String]

    public var hostAddressIPv4: String?
    public var hostAddressIPv6: String?
    let lookup: Lookup

    /// - Parameters:
    ///   - hostAddressIPv4: the node's host as IPv4 containers reach it; nil refuses loopback targets.
    ///   - hostAddressIPv6: the same for IPv6 links.
    ///   - lookup: name resolution; by default `getaddrinfo` on a dedicated thread.
    public init(hostAddressIPv4: String? = nil, hostAddressIPv6: String? = nil,
                lookup: @escaping Lookup = LinkResolver.systemLookup) {
        self.hostAddressIPv4 = hostAddressIPv4
        self.hostAddressIPv6 = hostAddressIPv6
        self.lookup = lookup
    }

    /// `getaddrinfo` through `SocketAddress.resolve`.
    public static let systemLookup: Lookup = { name in
        try await SocketAddress.resolve(host: name, port: 0).compactMap { address in
            switch address {
            case .ipv4(let a, _): a.description
            case .ipv6(let a, _, _): a.description
            case .unix: nil
            }
        }
    }

    /// The complete links, resolved, in order. Throws on the first link that cannot be resolved, so
    /// a container never gets half of its links.
    public func resolve(_ links: [NetworkLink]) async throws(LinkError) -> [ResolvedLink] {
        do { try links.validate() } catch { throw LinkError(.invalid, error.description) }
        var result: [ResolvedLink] = []
        for link in links {
            if let resolved = try await resolve(link) { result.append(resolved) }
        }
        return result
    }

    /// One link, or nil when it is incomplete.
    public func resolve(_ link: NetworkLink) async throws(LinkError) -> ResolvedLink? {
        do { try link.validate() } catch { throw LinkError(.invalid, error.description) }
        guard link.isComplete else { return nil }
        func invalid(_ reason: String) -> LinkError {
            LinkError(.invalid, "link \(link.displayForm): \(reason)")
        }
        let family: IPFamily = HostSyntax.isIPv6(link.fromHost) ? .ipv6 : .ipv4
        let target: String
        if LinkResolver.isLoopback(link.toHost) {
            guard let host = family == .ipv4 ? hostAddressIPv4 : hostAddressIPv6 else {
                throw invalid("a loopback target means the node's host, and this node has no \(family.rawValue) host address for containers configured")
            }
            target = host
        } else if HostSyntax.isIPLiteral(link.toHost) {
            target = link.toHost
        } else {
            let addresses: [String]
            do { addresses = try await lookup(link.toHost) } catch {
                throw LinkError(.unresolvable, "link \(link.displayForm): cannot resolve \(link.toHost): \(error)")
            }
            guard let first = addresses.first(where: { LinkResolver.family(of: $0) == family }) else {
                throw LinkError(.unresolvable, "link \(link.displayForm): \(link.toHost) has no \(family.rawValue) address")
            }
            // A name that resolves to loopback means the host too (e.g. an /etc/hosts alias).
            if LinkResolver.isLoopback(first) {
                guard let host = family == .ipv4 ? hostAddressIPv4 : hostAddressIPv6 else {
                    throw invalid("\(link.toHost) resolves to loopback (\(first)), which means the node's host, and this node has no \(family.rawValue) host address for containers configured")
                }
                target = host
            } else {
                target = first
            }
        }
        // Only IP literals of the link's family enter a plan, whatever the resolver returned.
        guard LinkResolver.family(of: target) == family else {
            throw invalid("target \(String(reflecting: target)) is not an \(family.rawValue) address")
        }
        return ResolvedLink(fromAddress: link.fromHost, fromPort: link.fromPort, toAddress: target, toPort: link.toPort)
    }

    /// The family of an IP literal; nil for anything else.
    static func family(of literal: String) -> IPFamily? {
        if HostSyntax.isIPv4(literal) { return .ipv4 }
        if HostSyntax.isIPv6(literal) { return .ipv6 }
        return nil
    }

    /// `localhost`, `*.localhost` (RFC 6761), 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8.
    static func isLoopback(_ host: String) -> Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower.hasSuffix(".localhost") { return true }
        if let v4 = IPv4Address(host) { return v4.isLoopback }
        if let v6 = IPv6Address(host) {
            if v6.isLoopback { return true }
            let mapped = Array(repeating: UInt8(0), count: 10) + [0xFF, 0xFF]
            return Array(v6.bytes.prefix(12)) == mapped && v6.bytes[12] == 127
        }
        return false
    }
}
