import Testing
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

/// The engine's link bookkeeping with a fake systemd (every unit inactive, so nothing is applied
/// live): what is stored, what the unit runs, what is refused. Live application is covered by
/// Tests/e2e/test_links_cluster.py on the real stack.
@Suite struct EngineLinksTests {
    static let applier = ["/usr/local/bin/berthd"]

    final class Node: Sendable {
        let root: String
        let configuration: EngineConfiguration
        let systemd = CountingSystemd()
        init(root: String? = nil, applier: [String]? = EngineLinksTests.applier, hostIPv4: String? = "10.88.0.1") throws {
            let root = root ?? "/tmp/berth-links-engine-\(UInt32.random(in: 0...UInt32.max))"
            self.root = root
            let layout = try Layout(stateDir: root + "/state", runDir: root + "/run", unitDir: root + "/units")
            let handle = ServiceManagerHandle(mode: .embedded, unitDir: root + "/units", environment: [:],
                                              userScope: true, rootTarget: "berth-root.target")
            configuration = EngineConfiguration(
                layout: layout, manager: handle, runtime: RuntimeConfiguration(runtime: .podman),
                portRange: 41000...41999, durablePorts: false,
                links: ContainerLinks(resolver: LinkResolver(hostAddressIPv4: hostIPv4)), linkApplier: applier)
        }
        func engine() async throws -> ContainerEngine {
            let engine = ContainerEngine(configuration: configuration, systemd: systemd)
            try await engine.open()
            return engine
        }
        var layout: Layout { configuration.layout }
        func unitText(_ id: String) throws -> String {
            String(decoding: try FileSystem.read("\(root)/units/ctr-\(id).service", limit: 1 << 20), as: UTF8.self)
        }
        func linksFile(_ id: String) throws -> String? {
            try FileSystem.readIfExists(layout.container(try Identifier(id)).linksFile, limit: 1 << 20)
                .map { String(decoding: $0, as: UTF8.self) }
        }
        deinit { try? FileSystem.removeTree(root) }
    }

    static let b = LinkSpec(fromPort: 8080, toHost: "198.18.0.2", toPort: 9000)
    static let c = LinkSpec(fromPort: 8080, toHost: "198.18.0.3", toPort: 9001)

    static func kind(_ body: () async throws -> Void) async -> ErrorKind? {
        do { try await body(); return nil } catch let error as RPCError { return error.kind } catch { return .internal }
    }

    @Test func installStoresLinksAndRendersTheHook() async throws {
        let node = try Node()
        let engine = try await node.engine()
        let status = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd", links: [Self.b]))
        let wire = LinkSpec(fromHost: "127.0.0.1", fromPort: 8080, toHost: "198.18.0.2", toPort: 9000)
        #expect(status.links == [wire])
        #expect(try await engine.links(ContainerRefParams(id: "web")) == ContainerLinksResult(id: "web", links: [wire]))
        #expect(try node.linksFile("web") == #"[{"fromHost":"127.0.0.1","fromPort":8080,"toHost":"198.18.0.2","toPort":9000}]"# + "\n")
        let file = node.layout.container(try Identifier("web")).linksFile
        let hook = "ExecStartPost=/usr/bin/env -i PATH=\(LinkApplier.defaultEnvironment["PATH"]!) /usr/local/bin/berthd links-apply --links-file \(file) --container ctr-web --runtime podman --runtime-path /usr/bin/podman --host-ipv4 10.88.0.1"
        #expect(try node.unitText("web").split(separator: "\n").contains { $0 == hook })
        // A container without links gets no hook: starting it costs nothing extra.
        _ = try await engine.install(ContainerInstallParams(id: "plain", image: "localhost/berth-httpd"))
        #expect(!(try node.unitText("plain").contains("ExecStartPost")))
        #expect(try node.linksFile("plain") == nil)
    }

    @Test func setReplacesLinksAndTheHookComesAndGoesWithThem() async throws {
        let node = try Node()
        let engine = try await node.engine()
        _ = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd"))
        let reloads = await engine.reloadCount()
        let set = try await engine.setLinks(ContainerLinksSetParams(id: "web", links: [Self.b]))
        #expect(set.links.map(\.toHost) == ["198.18.0.2"])
        #expect(try node.unitText("web").contains("links-apply"))
        #expect(await engine.reloadCount() == reloads + 1)
        // Changing the links of a container that has some leaves the unit (and systemd) alone.
        _ = try await engine.setLinks(ContainerLinksSetParams(id: "web", links: [Self.c]))
        #expect(await engine.reloadCount() == reloads + 1)
        #expect(try node.linksFile("web")?.contains("198.18.0.3") == true)
        #expect(try await engine.status(ContainerRefParams(id: "web")).links?.map(\.toPort) == [9001])
        _ = try await engine.setLinks(ContainerLinksSetParams(id: "web", links: []))
        #expect(try node.linksFile("web") == nil)
        #expect(!(try node.unitText("web").contains("links-apply")))
        #expect(await engine.reloadCount() == reloads + 2)
    }

    @Test func hostileOrImpossibleLinksAreRefusedAndNothingChanges() async throws {
        let node = try Node(hostIPv4: nil)
        let engine = try await node.engine()
        _ = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd", links: [Self.b]))
        let before = (try node.linksFile("web"), try node.unitText("web"))
        let hostile: [[LinkSpec]] = [
            [LinkSpec(fromPort: 8080, toHost: "1.2.3.4 -j ACCEPT", toPort: 80)],
            [LinkSpec(fromPort: 8080, toHost: "a.example\n-A OUTPUT -j DROP", toPort: 80)],
            [LinkSpec(fromPort: 8080, toHost: "$(reboot)", toPort: 80)],
            [LinkSpec(fromPort: 8080, toHost: "`id`;rm -rf /", toPort: 80)],
            [LinkSpec(fromPort: 8080, toHost: "--flush", toPort: 80)],
            [LinkSpec(fromHost: "127.0.0.1 ", fromPort: 8080, toHost: "198.18.0.2", toPort: 80)],
            [LinkSpec(fromHost: "web.example", fromPort: 8080, toHost: "198.18.0.2", toPort: 80)],
            [LinkSpec(fromPort: 0, toHost: "198.18.0.2", toPort: 80)],
            [Self.b, Self.c],  // one from address and port, two destinations
            [LinkSpec(fromHost: "::1", fromPort: 8080, toHost: "2001:2::2", toPort: 80)],  // v6 has no route_localnet
            [LinkSpec(fromPort: 8080, toHost: "2001:2::2", toPort: 80)],  // mixed families
            [LinkSpec(fromPort: 8080, toHost: "127.0.0.1", toPort: 80)],  // loopback target, no host address
            [LinkSpec(fromPort: 8080, toHost: "localhost", toPort: 80)],
        ]
        for links in hostile {
            #expect(await Self.kind { _ = try await engine.setLinks(ContainerLinksSetParams(id: "web", links: links)) } == .invalidParams,
                    "\(links)")
            #expect(await Self.kind { _ = try await engine.install(ContainerInstallParams(id: "other", image: "localhost/berth-httpd", links: links)) } == .invalidParams)
        }
        #expect((try node.linksFile("web"), try node.unitText("web")) == before)
        #expect(!FileSystem.exists(node.layout.container(try Identifier("other")).directory))
        #expect(await Self.kind { _ = try await engine.setLinks(ContainerLinksSetParams(id: "nope", links: [Self.b])) } == .notFound)
        #expect(await Self.kind { _ = try await engine.links(ContainerRefParams(id: "../x")) } == .invalidIdentifier)
    }

    @Test func linksSurviveANewEngineAndIncompleteOnesAreKept() async throws {
        let node = try Node()
        let pending = LinkSpec(fromPort: 5432, toHost: "", toPort: 0)
        do {
            let engine = try await node.engine()
            _ = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd", links: [Self.b, pending]))
        }
        let reopened = try await node.engine()
        #expect(try await reopened.links(ContainerRefParams(id: "web")).links.map(\.fromPort) == [8080, 5432])
        #expect(try node.unitText("web").contains("links-apply"))
        _ = try await reopened.delete(ContainerRefParams(id: "web"))
        #expect(try node.linksFile("web") == nil)
        #expect(await Self.kind { _ = try await reopened.links(ContainerRefParams(id: "web")) } == .notFound)
    }

    @Test func requestIdRetriesAnswerTheFirstResult() async throws {
        let node = try Node()
        let engine = try await node.engine()
        _ = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd"))
        let first = try await engine.setLinks(ContainerLinksSetParams(id: "web", links: [Self.b], requestId: "link-1"))
        _ = try await engine.setLinks(ContainerLinksSetParams(id: "web", links: [Self.c]))
        #expect(try await engine.setLinks(ContainerLinksSetParams(id: "web", links: [Self.b], requestId: "link-1")) == first)
        #expect(try await engine.links(ContainerRefParams(id: "web")).links.map(\.toHost) == ["198.18.0.3"])
        #expect(await Self.kind { _ = try await engine.setLinks(ContainerLinksSetParams(id: "web", links: [], requestId: "link-1")) } == .conflict)
    }

    /// `links.add` and `links.remove` change one link under the container's lock: 64 concurrent
    /// adds all land (a read, merge and `links.set` per caller would lose some), a remove takes
    /// exactly its one, and the retries of both answer their first result without acting again.
    @Test func addAndRemoveChangeOneLinkEachAndConcurrentAddsAllLand() async throws {
        let node = try Node()
        let engine = try await node.engine()
        _ = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd", links: [Self.b]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask {
                    _ = try await engine.addLink(ContainerLinkAddParams(id: "web", link: LinkSpec(fromPort: UInt16(9000 + i), toHost: "198.18.0.9", toPort: 1)))
                }
            }
            try await group.waitForAll()
        }
        #expect(try await engine.links(ContainerRefParams(id: "web")).links.map(\.fromPort).sorted() == [8080] + (9000..<9064).map { UInt16($0) })
        // Replacing keeps the place; removing takes exactly one; a missing one is not_found.
        let replaced = try await engine.addLink(ContainerLinkAddParams(id: "web", link: Self.c, requestId: "add-1"))
        #expect(replaced.links.first == LinkSpec(fromHost: "127.0.0.1", fromPort: 8080, toHost: "198.18.0.3", toPort: 9001))
        let removed = try await engine.removeLink(ContainerLinkRemoveParams(id: "web", fromPort: 9005, requestId: "rm-1"))
        #expect(removed.links.count == 64 && !removed.links.contains { $0.fromPort == 9005 })
        #expect(await Self.kind { _ = try await engine.removeLink(ContainerLinkRemoveParams(id: "web", fromPort: 9005)) } == .notFound)
        #expect(await Self.kind { _ = try await engine.removeLink(ContainerLinkRemoveParams(id: "web", fromHost: "a b", fromPort: 1)) } == .invalidParams)
        #expect(await Self.kind { _ = try await engine.addLink(ContainerLinkAddParams(id: "web", link: LinkSpec(fromPort: 0, toHost: "x", toPort: 1))) } == .invalidParams)
        _ = try await engine.addLink(ContainerLinkAddParams(id: "web", link: Self.b))
        _ = try await engine.addLink(ContainerLinkAddParams(id: "web", link: LinkSpec(fromPort: 9005, toHost: "198.18.0.9", toPort: 1)))
        // Retries answer the first result and change nothing, also from a new engine on the same disk.
        let reopened = try await node.engine()
        #expect(try await reopened.addLink(ContainerLinkAddParams(id: "web", link: Self.c, requestId: "add-1")) == replaced)
        #expect(try await reopened.removeLink(ContainerLinkRemoveParams(id: "web", fromPort: 9005, requestId: "rm-1")) == removed)
        let now = try await reopened.links(ContainerRefParams(id: "web")).links
        #expect(now.first?.toHost == "198.18.0.2" && now.contains { $0.fromPort == 9005 })
        #expect(await Self.kind { _ = try await reopened.removeLink(ContainerLinkRemoveParams(id: "web", fromPort: 9006, requestId: "rm-1")) } == .conflict)
    }

    /// `links.add` checks the link it adds and the bounds of the merged list, and does not plan the
    /// links the container kept again: a stored loopback link that a node restarted without a host
    /// address can no longer plan does not block adding another (it fails where it is applied, in the
    /// hook, as before), while the added link is checked as ever and the list's bounds still hold.
    @Test func addPlansOnlyTheLinkItAdds() async throws {
        let node = try Node()  // with a host address: a loopback target plans
        let loopback = LinkSpec(fromPort: 5432, toHost: "127.0.0.1", toPort: 5432)
        do {
            let engine = try await node.engine()
            _ = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd", links: [loopback]))
        }
        let restarted = try Node(root: node.root, hostIPv4: nil)
        let engine = try await restarted.engine()
        #expect(try await engine.addLink(ContainerLinkAddParams(id: "web", link: Self.b)).links.map(\.fromPort) == [5432, 8080])
        let refused = LinkSpec(fromPort: 6379, toHost: "127.0.0.1", toPort: 6379)
        #expect(await Self.kind { _ = try await engine.addLink(ContainerLinkAddParams(id: "web", link: refused)) } == .invalidParams)
        let almost = (0..<UInt16(ContractLimits.links - 1)).map { LinkSpec(fromPort: 10_000 + $0, toHost: "198.18.0.9", toPort: 1) }
        _ = try await engine.setLinks(ContainerLinksSetParams(id: "web", links: almost))
        let full = try await engine.addLink(ContainerLinkAddParams(id: "web", link: Self.b)).links
        #expect(full.count == ContractLimits.links)
        let over = LinkSpec(fromPort: 20_000, toHost: "198.18.0.9", toPort: 1)
        #expect(await Self.kind { _ = try await engine.addLink(ContainerLinkAddParams(id: "web", link: over)) } == .invalidParams)
        #expect(try await engine.links(ContainerRefParams(id: "web")).links == full)
    }

    @Test func anEngineWithoutAnApplierRefusesLinks() async throws {
        let node = try Node(applier: nil)
        let engine = try await node.engine()
        #expect(await Self.kind { _ = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd", links: [Self.b])) } == .invalidParams)
        _ = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd"))
        #expect(await Self.kind { _ = try await engine.setLinks(ContainerLinksSetParams(id: "web", links: [Self.b])) } == .invalidParams)
        #expect(try await engine.setLinks(ContainerLinksSetParams(id: "web", links: [])).links.isEmpty)
    }
}

@Suite struct LinkConfigurationTests {
    @Test func linkApplyArgumentsRoundTrip() throws {
        let command = LinkApplyCommand(linksFile: "/var/lib/berth/containers/web/links.json", container: "ctr-web",
                                       runtime: .docker, runtimePath: "/usr/bin/docker", hostAddressIPv4: "10.88.0.1",
                                       hostAddressIPv6: "fd00::1")
        #expect(try LinkApplyCommand(parsing: command.arguments) == command)
        guard case .linksApply(let parsed) = try NodeConfiguration.parse(arguments: ["links-apply"] + command.arguments, readFile: { _ in nil }) else {
            Issue.record("links-apply is not the subcommand"); return
        }
        #expect(parsed == command)
        for bad in [["--links-file", "/x"], command.arguments + ["--bogus", "1"], command.arguments + ["--host-ipv4", "1.2.3.4 -j ACCEPT"],
                    command.arguments + ["--runtime", "sh"], command.arguments + ["--host-ipv6", "10.0.0.1"], command.arguments + ["--wait"]] {
            #expect(throws: ConfigurationError.self) { try LinkApplyCommand(parsing: bad) }
        }
    }

    @Test func linkHostSettings() throws {
        func run(_ args: [String], file: String? = nil) throws -> NodeConfiguration {
            guard case .run(let c) = try NodeConfiguration.parse(arguments: args, readFile: { _ in file }) else { throw ConfigurationError("not run") }
            return c
        }
        #expect(try run([]).linkHostIPv4 == .auto)
        #expect(try run(["--link-host-ipv4", "10.88.0.1", "--link-host-ipv6=none"]).linkHostIPv4 == .address("10.88.0.1"))
        #expect(try run(["--link-host-ipv6", "none"]).linkHostIPv6 == LinkHostAddress.none)
        #expect(try run([], file: "link-host-ipv6 = fd00::1\n").linkHostIPv6 == .address("fd00::1"))
        for bad in [["--link-host-ipv4", "fd00::1"], ["--link-host-ipv4", "host.example"], ["--link-host-ipv6", "10.0.0.1"],
                    ["--link-host-ipv4", "10.0.0.1;x"]] {
            #expect(throws: ConfigurationError.self) { try run(bad) }
        }
        #expect(LinkHostAddress.auto.resolved(family: .ipv4, detected: [.ipv4: "10.88.0.1"]) == "10.88.0.1")
        #expect(LinkHostAddress.auto.resolved(family: .ipv6, detected: [.ipv4: "10.88.0.1"]) == nil)
        #expect(LinkHostAddress.none.resolved(family: .ipv4, detected: [.ipv4: "10.88.0.1"]) == nil)
    }

    @Test func theLinksLockExcludesASecondHolderUntilReleased() async throws {
        let dir = "/tmp/berth-links-lock-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.createDirectory(dir)
        defer { try? FileSystem.removeTree(dir) }
        let first = try await LinkFileLock.acquire(linksFile: dir + "/links.json")
        await #expect(throws: LinkError.self) { _ = try await LinkFileLock.acquire(linksFile: dir + "/links.json", timeout: .milliseconds(100)) }
        first.close()
        let second = try await LinkFileLock.acquire(linksFile: dir + "/links.json", timeout: .milliseconds(100))
        second.close()
        #expect(FileSystem.exists(dir + "/links.lock"))
    }

    @Test func runtimeEnvironmentKeepsOnlyWhatLocatesContainers() {
        let env = LinkApplyCommand.runtimeEnvironment(from: ["PATH": "/evil", "LD_PRELOAD": "/x.so", "CONTAINERS_CONF": "/c.conf",
                                                              "GREETING": "hi", "DOCKER_HOST": "unix:///d.sock"])
        #expect(env == ["PATH": LinkApplier.defaultEnvironment["PATH"]!, "CONTAINERS_CONF": "/c.conf", "DOCKER_HOST": "unix:///d.sock"])
    }
}
