import Testing
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

/// Bad input, double installs, request ids and recovery, against the real manager.
@Suite(.serialized, .enabled(if: RealStack.available, "needs root, systemd, podman, Scripts/bootstrap and Scripts/image"))
struct EngineBadInputTests {
    @Test func badInputIsRefusedAndChangesNothing() async throws {
        let stack = try await RealStack.start()
        do {
            let engine = stack.engine()
            try await engine.open()
            _ = try await engine.install(ContainerInstallParams(id: "keep", image: "localhost/busybox:latest",
                                                                command: ["sleep", "1000"], requestId: "req-keep"))
            let layout = stack.configuration.layout
            let snapshot = (tree(layout.stateDir), tree(layout.unitDir))
            let reloads = await engine.reloadCount()
            let cases: [(ErrorKind, ContainerInstallParams)] = [
                (.invalidIdentifier, ContainerInstallParams(id: "Bad/Id", image: "localhost/busybox:latest")),
                (.invalidIdentifier, ContainerInstallParams(id: "../etc", image: "localhost/busybox:latest")),
                (.invalidIdentifier, ContainerInstallParams(id: "", image: "localhost/busybox:latest")),
                (.invalidParams, ContainerInstallParams(id: "x1", image: "--privileged")),
                (.invalidParams, ContainerInstallParams(id: "x2", image: "busybox;rm -rf /")),
                (.invalidParams, ContainerInstallParams(id: "x3", image: "a/../b")),
                (.invalidParams, ContainerInstallParams(id: "x4", image: "localhost/busybox:latest",
                                                        volumes: [BerthProtocol.VolumeMount(hostPath: "../../etc", containerPath: "/x")])),
                (.invalidParams, ContainerInstallParams(id: "x5", image: "localhost/busybox:latest",
                                                        volumes: [BerthProtocol.VolumeMount(hostPath: "/srv/a b\nc", containerPath: "/x")])),
                (.invalidParams, ContainerInstallParams(id: "x6", image: "localhost/busybox:latest",
                                                        environment: [EnvironmentEntry(name: "A=B", value: "1")])),
                (.invalidParams, ContainerInstallParams(id: "x7", image: "localhost/busybox:latest",
                                                        environment: [EnvironmentEntry(name: "PEM", value: "a line\nbreak")])),
                (.invalidParams, ContainerInstallParams(id: "x7c", image: "localhost/busybox:latest",
                                                        environment: [EnvironmentEntry(name: "A", value: String(repeating: "😀", count: 8193))])),
                (.invalidParams, ContainerInstallParams(id: "x7b", image: "localhost/busybox:latest",
                                                        command: ["sh", "-c", String(repeating: "é", count: 16385)])),
                (.invalidParams, ContainerInstallParams(id: "x8", image: "localhost/busybox:latest", slice: "-.slice")),
                (.invalidParams, ContainerInstallParams(id: "x9", image: "localhost/busybox:latest",
                                                        ports: [PortMapping(internal: 0, external: 0)])),
                (.alreadyExists, ContainerInstallParams(id: "keep", image: "localhost/busybox:latest")),
                (.conflict, ContainerInstallParams(id: "other", image: "localhost/busybox:latest", requestId: "req-keep")),
            ]
            for (kind, params) in cases {
                #expect(await errorKind { try await engine.install(params) } == kind, "\(params.id) \(params.image)")
            }
            #expect(await errorKind { try await engine.start(ContainerRefParams(id: "ghost")) } == .notFound)
            #expect(await errorKind { try await engine.stop(ContainerStopParams(id: "ghost")) } == .notFound)
            #expect(await errorKind { try await engine.delete(ContainerRefParams(id: "ghost")) } == .notFound)
            #expect(await errorKind { try await engine.environment(ContainerRefParams(id: "Bad/Id")) } == .invalidIdentifier)
            #expect(await errorKind { try await engine.list(ContainerListParams(state: "exploded")) } == .invalidParams)
            // A port another container holds.
            let held = try await engine.ports(ContainerRefParams(id: "keep"))
            #expect(held.ports.isEmpty)
            #expect(tree(layout.stateDir) == snapshot.0)
            #expect(tree(layout.unitDir) == snapshot.1)
            #expect(await engine.reloadCount() == reloads)
            // A retry with the same request id answers the first result, even from a new engine (a restart).
            let restarted = stack.engine()
            try await restarted.open()
            let retried = try await restarted.install(ContainerInstallParams(id: "keep", image: "localhost/busybox:latest",
                                                                             command: ["sleep", "1000"], requestId: "req-keep"))
            #expect(retried.id == "keep")
            #expect(try await restarted.delete(ContainerRefParams(id: "keep")))
        } catch {
            await stack.tearDown(containerNames: ["ctr-keep"])
            throw error
        }
        await stack.tearDown(containerNames: ["ctr-keep"])
    }

    /// What a kill -9 can leave (a staging dir, a port claimed for an install that never committed,
    /// an orphan unit, a record whose units were never written) is repaired by `open()`.
    @Test func recoveryRepairsEveryCrashLeftover() async throws {
        let stack = try await RealStack.start()
        do {
            let layout = stack.configuration.layout
            let first = stack.engine()
            try await first.open()
            _ = try await first.install(ContainerInstallParams(id: "survivor", image: "localhost/busybox:latest",
                                                               command: ["sleep", "1000"],
                                                               ports: [PortMapping(internal: 80, external: 0)]))
            let survivor = try Identifier("survivor")
            // Crash leftovers.
            try FileSystem.createDirectory("\(layout.containersDir)/.staging-half-123", mode: 0o700)
            try FileSystem.writeAtomically(Array("{}".utf8), to: "\(layout.containersDir)/.staging-half-123/container.json")
            let ghost = try Identifier("ghost")
            _ = try PortAllocator(layout: layout, range: stack.configuration.portRange).reserve(for: ghost, [PortPair(internal: 80, external: 0)])
            try FileSystem.writeAtomically(Array("[Service]\nExecStart=/bin/true\n".utf8), to: layout.container(ghost).unitFile)
            try FileSystem.remove(layout.container(survivor).unitFile)

            let second = stack.engine()
            let report = try await second.open()
            #expect(report.removedLeftovers == [".staging-half-123"])
            #expect(report.removedOrphanUnits == ["ctr-ghost.service"])
            #expect(report.rewrittenUnits == ["survivor"])
            #expect(report.releasedPorts.count == 1)
            #expect(FileSystem.exists(layout.container(survivor).unitFile))
            #expect(!FileSystem.exists(layout.container(ghost).unitFile))
            let reservations = try PortAllocator(layout: layout, range: stack.configuration.portRange).reservations()
            #expect(reservations.map(\.owner) == [survivor])
            #expect(try await second.list(ContainerListParams()).containers.map(\.id) == ["survivor"])
            #expect(try await stack.show("ctr-survivor.service", "LoadState") == "loaded")
            // A start-up with nothing to repair writes nothing (every berthd start runs open()).
            let unitText = try FileSystem.read(layout.container(survivor).unitFile)
            let third = try await stack.engine().open()
            #expect(third == EngineRecoveryReport(), "a clean start repaired something: \(third)")
            #expect(try FileSystem.read(layout.container(survivor).unitFile) == unitText)
            #expect(try await second.delete(ContainerRefParams(id: "survivor")))
        } catch {
            await stack.tearDown(containerNames: ["ctr-survivor"])
            throw error
        }
        await stack.tearDown(containerNames: ["ctr-survivor"])
    }
}
