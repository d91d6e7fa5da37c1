import BerthProtocol
import BerthSystem
import Testing
@testable import BerthClient

@Suite struct NodeAliasTests {
    @Test func parsesAliasesWithSecretAndHost() throws {
        let aliases = try NodeAliases(parsing: """
            # the shop
            web1 = tcp://10.0.0.5:7480 secret-file=/etc/berth/web1.secret
              db\t=\tssh://admin@db.example:2222   host=10.0.0.9
            local = unix:/run/berth/berthd.sock

            """, source: "nodes")
        #expect(aliases.aliases.count == 3)
        #expect(aliases.aliases["web1"] == NodeAlias(name: "web1", address: .tcp(host: "10.0.0.5", port: 7480), secretFile: "/etc/berth/web1.secret"))
        #expect(aliases.aliases["db"] == NodeAlias(name: "db", address: .ssh(user: "admin", host: "db.example", port: 2222), host: "10.0.0.9"))
        #expect(aliases.aliases["local"]?.address == .unix(path: "/run/berth/berthd.sock"))
    }

    @Test(arguments: [
        ("web1 tcp://10.0.0.5:7480", "nodes:1: expected NAME = ADDRESS"),
        ("a/b = unix:/x", "nodes:1: the alias \"a/b\" must be"),
        ("web = tcp://10.0.0.5", "nodes:1: invalid node address"),
        ("web = unix:/x\nweb = unix:/y", "nodes:2: the alias web is defined twice"),
        ("web = unix:/x colour=red", "nodes:1: unknown setting \"colour=red\""),
        ("web = unix:/x host=1.2.3.4;rm", "nodes:1: host= must be an IP address or a host name"),
        ("web =", "nodes:1: the alias web has no address"),
    ])
    func refusesBadLinesNamingTheLine(text: String, expected: String) {
        #expect {
            try NodeAliases(parsing: text, source: "nodes")
        } throws: { error in
            (error as? NodeAliasError)?.message.hasPrefix(expected) == true
        }
    }

    @Test func configPathFollowsTheEnvironment() {
        #expect(NodeAliases.path(environment: ["BERTH_CONFIG": "/x/n", "HOME": "/root"])! == ("/x/n", true))
        #expect(NodeAliases.path(environment: ["XDG_CONFIG_HOME": "/cfg", "HOME": "/root"])! == ("/cfg/berth/nodes", false))
        #expect(NodeAliases.path(environment: ["HOME": "/home/a"])! == ("/home/a/.config/berth/nodes", false))
    }

    @Test func aMissingExplicitConfigIsAnErrorAndAMissingDefaultIsNone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: NodeAliasError.self) { try NodeAliases.load(environment: ["BERTH_CONFIG": directory.path + "/none"]) }
        #expect(try NodeAliases.load(environment: ["HOME": directory.path]).aliases.isEmpty)
    }

    @Test func locatorsSplitAtTheLastSlash() throws {
        #expect(try Locator(parsing: "web") == Locator(node: nil, id: "web"))
        #expect(try Locator(parsing: "h1/web") == Locator(node: "h1", id: "web"))
        #expect(try Locator(parsing: "unix:/run/b.sock/web") == Locator(node: "unix:/run/b.sock", id: "web"))
        #expect(try Locator(parsing: "tcp://10.0.0.5:7480/web") == Locator(node: "tcp://10.0.0.5:7480", id: "web"))
        #expect(throws: UsageError.self) { try Locator(parsing: "/web") }
        #expect(throws: UsageError.self) { try Locator(parsing: "h1/") }
        #expect(throws: UsageError.self) { try Locator(parsing: "h 1/web").validate() }
        #expect(throws: UsageError.self) { try Locator(parsing: "h1/../x").validate() }
    }

    @Test func aliasesAndLocatorsReachTheirNodes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await FakeNode.with(handler: containerHandler([web])) { a in
            try await FakeNode.with(handler: containerHandler([idle])) { b in
                try FileSystem.writeAtomically(Array("alpha = \(a)\nbeta = \(b)\n".utf8), to: directory.path + "/nodes")
                let env = ["BERTH_CONFIG": directory.path + "/nodes"]
                // Each locator goes to its own node only: web is on alpha, idle on beta.
                let started = await runCLI(["start", "alpha/web", "beta/idle"], environment: env)
                #expect(started.code == .success, "\(started.err)")
                #expect(started.out.contains("started web (active) on \(a)"))
                #expect(started.out.contains("started idle (active) on \(b)"))
                let status = await runCLI(["status", "\(b)/idle"], environment: env)
                #expect(status.code == .success)
                #expect(status.out.contains("id:               idle"))
                let ps = await runCLI(["ps", "--all", "--node", "alpha", "--node", "beta"], environment: env)
                #expect(ps.code == .success)
                #expect(ps.out.contains("web") && ps.out.contains("idle"))
                let unknown = await runCLI(["status", "gamma/web"], environment: env)
                #expect(unknown.code == .usage)
                #expect(unknown.err.contains("unknown node \"gamma\""))
                let bad = await runCLI(["ps", "--node", "alpha beta"], environment: env)
                #expect(bad.code == .usage)
            }
        }
    }
}
