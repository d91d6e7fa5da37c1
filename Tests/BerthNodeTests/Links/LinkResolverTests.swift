import BerthCore
import BerthProtocol
import Testing
@testable import BerthNode

/// A lookup that answers from a table and fails on any other name.
private func table(_ answers: [String: [String]]) -> LinkResolver.Lookup {
    { name in
        guard let addresses = answers[name] else { throw LinkError(.unresolvable, "no such name \(name)") }
        return addresses
    }
}

private let noLookup: LinkResolver.Lookup = { name in
    Issue.record("lookup must not be called (asked for \(name))")
    return []
}

@Suite struct LinkResolverTests {
    @Test func literalTargetsPassThrough() async throws {
        let resolver = LinkResolver(lookup: noLookup)
        let links = try [NetworkLink](parsing: "8080:198.18.0.2:9000,[2001:2::1]:80:[2001:2::2]:8080")
        let resolved = try await resolver.resolve(links)
        #expect(resolved == [
            ResolvedLink(fromAddress: "127.0.0.1", fromPort: 8080, toAddress: "198.18.0.2", toPort: 9000),
            ResolvedLink(fromAddress: "2001:2::1", fromPort: 80, toAddress: "2001:2::2", toPort: 8080),
        ])
    }

    @Test func incompleteLinksAreSkipped() async throws {
        let resolver = LinkResolver(lookup: noLookup)
        let links = [NetworkLink(fromPort: 1, toHost: "198.18.0.2", toPort: 0),
                     NetworkLink(fromPort: 2, toHost: "", toPort: 80),
                     NetworkLink(fromPort: 3, toHost: "198.18.0.3", toPort: 81)]
        #expect(try await resolver.resolve(links) == [ResolvedLink(fromAddress: "127.0.0.1", fromPort: 3, toAddress: "198.18.0.3", toPort: 81)])
    }

    @Test(arguments: ["localhost", "LocalHost", "db.localhost", "127.0.0.1", "127.9.8.7"])
    func loopbackTargetWithoutHostAddressIsRefused(target: String) async throws {
        let resolver = LinkResolver(lookup: noLookup)
        let error = await #expect(throws: LinkError.self) {
            try await resolver.resolve([NetworkLink(fromPort: 8080, toHost: target, toPort: 80)])
        }
        #expect(error?.kind == .invalid)
        #expect(error?.message.contains("node's host") == true)
        #expect(error?.rpcError.kind == .invalidParams)
    }

    @Test(arguments: ["localhost", "127.0.0.1", "127.0.1.1"])
    func loopbackTargetMeansTheHostAddress(target: String) async throws {
        let resolver = LinkResolver(hostAddressIPv4: "10.88.0.1", hostAddressIPv6: "fd00::1", lookup: noLookup)
        let resolved = try await resolver.resolve([NetworkLink(fromPort: 8080, toHost: target, toPort: 80)])
        #expect(resolved == [ResolvedLink(fromAddress: "127.0.0.1", fromPort: 8080, toAddress: "10.88.0.1", toPort: 80)])
    }

    @Test(arguments: ["::1", "::ffff:127.0.0.1", "localhost"])
    func ipv6LoopbackTargetUsesTheIPv6HostAddress(target: String) async throws {
        let resolver = LinkResolver(hostAddressIPv4: "10.88.0.1", hostAddressIPv6: "2001:2::9", lookup: noLookup)
        let resolved = try await resolver.resolve([NetworkLink(fromHost: "2001:2::1", fromPort: 80, toHost: target, toPort: 81)])
        #expect(resolved.map(\.toAddress) == ["2001:2::9"])
    }

    @Test func namesResolveToTheFamilyOfTheFromAddress() async throws {
        let resolver = LinkResolver(lookup: table(["db.example": ["2001:2::5", "198.18.0.9", "198.18.0.10"]]))
        let resolved = try await resolver.resolve([
            NetworkLink(fromPort: 5432, toHost: "db.example", toPort: 5432),
            NetworkLink(fromHost: "2001:2::1", fromPort: 5432, toHost: "db.example", toPort: 5433),
        ])
        #expect(resolved.map(\.toAddress) == ["198.18.0.9", "2001:2::5"])
    }

    @Test func aNameWithoutAnAddressOfTheFamilyIsUnresolvable() async throws {
        let resolver = LinkResolver(lookup: table(["v6only.example": ["2001:2::5"]]))
        let error = await #expect(throws: LinkError.self) {
            try await resolver.resolve([NetworkLink(fromPort: 1, toHost: "v6only.example", toPort: 2)])
        }
        #expect(error?.kind == .unresolvable)
        #expect(error?.message.contains("no ipv4 address") == true)
        #expect(error?.rpcError.kind == .linkFailed)
    }

    @Test func aFailingLookupIsUnresolvable() async throws {
        let resolver = LinkResolver(lookup: table([:]))
        let error = await #expect(throws: LinkError.self) {
            try await resolver.resolve([NetworkLink(fromPort: 1, toHost: "nowhere.example", toPort: 2)])
        }
        #expect(error?.kind == .unresolvable)
        #expect(error?.message.contains("nowhere.example") == true)
    }

    @Test func aNameResolvingToLoopbackMeansTheHost() async throws {
        let answers = ["alias.example": ["127.0.1.1"]]
        let refused = LinkResolver(lookup: table(answers))
        await #expect(throws: LinkError.self) {
            try await refused.resolve([NetworkLink(fromPort: 1, toHost: "alias.example", toPort: 2)])
        }
        let resolver = LinkResolver(hostAddressIPv4: "198.18.0.1", lookup: table(answers))
        #expect(try await resolver.resolve([NetworkLink(fromPort: 1, toHost: "alias.example", toPort: 2)]).map(\.toAddress) == ["198.18.0.1"])
    }

    /// Whatever a resolver returns, only IP literals of the family can come out.
    @Test func hostileResolverAnswersNeverEnterAPlan() async throws {
        let resolver = LinkResolver(lookup: table(["evil.example": ["1.2.3.4 -j ACCEPT", "-A OUTPUT", "1.2.3.4\n"]]))
        let error = await #expect(throws: LinkError.self) {
            try await resolver.resolve([NetworkLink(fromPort: 1, toHost: "evil.example", toPort: 2)])
        }
        #expect(error?.kind == .unresolvable)
    }

    @Test(arguments: ["1.2.3.4 -j ACCEPT", "a;rm -rf /", "-x", "host\nname", "[::1]", "$(id)"])
    func hostileHostsAreRefusedBeforeAnyLookup(host: String) async throws {
        let resolver = LinkResolver(hostAddressIPv4: "198.18.0.1", lookup: noLookup)
        let error = await #expect(throws: LinkError.self) {
            try await resolver.resolve([NetworkLink(fromPort: 1, toHost: host, toPort: 2)])
        }
        #expect(error?.kind == .invalid)
    }

    @Test func aHostileHostAddressIsRefused() async throws {
        let resolver = LinkResolver(hostAddressIPv4: "10.0.0.1 -j ACCEPT", lookup: noLookup)
        let error = await #expect(throws: LinkError.self) {
            try await resolver.resolve([NetworkLink(fromPort: 1, toHost: "localhost", toPort: 2)])
        }
        #expect(error?.kind == .invalid)
    }

    @Test func theSameFromEndpointTwiceIsRefused() async throws {
        let resolver = LinkResolver(lookup: noLookup)
        let error = await #expect(throws: LinkError.self) {
            try await resolver.resolve([NetworkLink(fromPort: 1, toHost: "198.18.0.1", toPort: 2),
                                        NetworkLink(fromPort: 1, toHost: "198.18.0.2", toPort: 2)])
        }
        #expect(error?.kind == .invalid)
    }

    @Test func theSystemLookupResolvesLiterals() async throws {
        #expect(try await LinkResolver.systemLookup("198.18.0.7") == ["198.18.0.7"])
        #expect(try await LinkResolver.systemLookup("2001:2::7") == ["2001:2::7"])
    }
}
