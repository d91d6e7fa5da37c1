import Testing
#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

/// `container.list` as the wire carries it (`listEncoded`: cached per-container JSON, reused without
/// building the status while nothing it came from changed; one scan of the start-on-boot directory)
/// against the typed list encoded the generic way, on a real manager, through
/// changes made by the engine and behind its back; and the D-Bus and systemctl clients' unit states
/// against each other.
@Suite(.serialized, .enabled(if: RealStack.available, "needs root, systemd, podman, Scripts/bootstrap and Scripts/image"))
struct EngineListTests {
    /// The encoded list, checked to be exactly the generic encoding of the same statuses (one
    /// listing encoded both ways: two listings may differ while a container changes state).
    func encodedList(_ engine: ContainerEngine, _ params: ContainerListParams = ContainerListParams(),
                     sourceLocation: SourceLocation = #_sourceLocation) async throws -> ContainerListResult {
        let (encoded, listed) = try await engine.listedBothWays(params)
        let generic = try JSONValueEncoder().encode(ContainerListResult(containers: listed.map(\.status))).serialized()
        #expect(encoded.bytes == generic, "listEncoded differs from the generic encoding", sourceLocation: sourceLocation)
        return try JSONValueDecoder().decode(ContainerListResult.self, from: try encoded.parsed())
    }

    @Test func encodedListFollowsEveryChange() async throws {
        let stack = try await RealStack.start()
        let names = ["ctr-la", "ctr-lb", "ctr-lc"]
        do {
            // With a link applier, so links can be set (lb never runs: they are only stored).
            var configuration = stack.configuration
            configuration.linkApplier = ["/usr/local/bin/berthd"]
            let engine = ContainerEngine(configuration: configuration, systemd: stack.systemd)
            try await engine.open()
            #expect(try await encodedList(engine).containers.isEmpty)
            _ = try await engine.install(ContainerInstallParams(
                id: "la", image: "localhost/busybox:latest", command: ["sleep", "1000"],
                environment: [EnvironmentEntry(name: "QUOTED", value: "a \"b\" $c")], start: true))
            _ = try await engine.install(ContainerInstallParams(
                id: "lb", image: "localhost/busybox:latest", command: ["sleep", "1000"],
                ports: [PortMapping(internal: 80, external: 0)]))
            _ = try await engine.install(ContainerInstallParams(
                id: "lc", image: "localhost/busybox:latest", command: ["sleep", "1000"], start: true))

            var listed = try await encodedList(engine)
            #expect(listed.containers.map(\.id) == ["la", "lb", "lc"])
            #expect(listed.containers.map(\.state) == ["active", "inactive", "active"])
            #expect(listed.containers.map(\.enabled) == [true, false, true])
            #expect(listed.containers[0].mainPID != nil && listed.containers[1].mainPID == nil)
            #expect(listed.containers[0].environmentNames == ["QUOTED"])

            // Changes through the engine: a stop (state, PID, mark; it reloads systemd, which unloads
            // and reloads every unit: la stays listed as running) and a new environment name.
            _ = try await engine.stop(ContainerStopParams(id: "lc", wait: true))
            _ = try await engine.patchEnvironment(ContainerEnvPatchParams(id: "lb", set: [EnvironmentEntry(name: "ADDED", value: "1")]))
            listed = try await encodedList(engine)
            #expect(listed.containers.map(\.state) == ["active", "inactive", "inactive"])
            #expect(listed.containers.map(\.enabled) == [true, false, false])
            #expect(listed.containers[2].mainPID == nil)
            #expect(listed.containers[0].mainPID != nil)
            #expect(listed.containers[1].environmentNames == ["ADDED"])
            // Links of a container that is not running are only stored: the list shows them at once.
            let link = LinkSpec(fromPort: 8080, toHost: "198.18.0.2", toPort: 9000)
            _ = try await engine.setLinks(ContainerLinksSetParams(id: "lb", links: [link]))
            let wire = LinkSpec(fromHost: "127.0.0.1", fromPort: 8080, toHost: "198.18.0.2", toPort: 9000)
            #expect(try await encodedList(engine).containers[1].links == [wire])
            _ = try await engine.setLinks(ContainerLinksSetParams(id: "lb", links: []))
            #expect(try await encodedList(engine).containers[1].links == [])

            // Behind the engine's back: the start-on-boot mark removed by hand right after a list, and
            // the unit stopped with systemctl.
            let mark = stack.configuration.layout.container(try Identifier("la")).startOnBootLink
            try FileSystem.remove(mark)
            _ = try await ProcessRunner.run(ProcessRequest(
                "/bin/systemctl", ["--user", "stop", "--", "ctr-la.service"],
                environment: stack.manager.handle.environment, timeout: .seconds(60)))
            var stoppedSeen = false
            let deadline = ContinuousClock.now + .seconds(60)  // a guard: the loop ends when the list shows it
            while ContinuousClock.now < deadline {
                listed = try await encodedList(engine)
                if listed.containers[0].state == "inactive" { stoppedSeen = true; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(stoppedSeen, "a stop made with systemctl reaches the list")
            #expect(listed.containers[0].enabled == false, "a mark removed by hand reaches the list at once")
            #expect(listed.containers[0].mainPID == nil)

            // Filters, and a delete.
            #expect(try await encodedList(engine, ContainerListParams(ids: ["lc", "nope", "la"])).containers.map(\.id) == ["la", "lc"])
            _ = try await engine.start(ContainerRefParams(id: "lb"))
            #expect(try await encodedList(engine, ContainerListParams(state: "active")).containers.map(\.id) == ["lb"])
            #expect(try await engine.delete(ContainerRefParams(id: "lb")))
            #expect(try await encodedList(engine).containers.map(\.id) == ["la", "lc"])

            // The systemctl client's unit states (list-units, then show) agree with the engine's client's
            // (by default the D-Bus one, answering from its signal-fed cache), compared while la runs
            // (two empty answers would agree on nothing).
            _ = try await engine.start(ContainerRefParams(id: "la"))
            let viaSystemctl = try await SystemdClientKind.systemctl.client(for: stack.manager.handle)
                .unitStates(matching: "ctr-*.service")
            let viaEngine = try await stack.systemd.unitStates(matching: "ctr-*.service")
            #expect(viaSystemctl == viaEngine)
            #expect(viaEngine["ctr-la.service"]?.activeState == "active" && viaEngine["ctr-la.service"]?.mainPID != 0)
            for id in ["la", "lc"] { #expect(try await engine.delete(ContainerRefParams(id: id))) }
        } catch {
            await stack.tearDown(containerNames: names)
            throw error
        }
        await stack.tearDown(containerNames: names)
    }
}
