import Testing
#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

/// `isolate: true` against a real manager and real podman containers.
@Suite(.serialized, .enabled(if: RealStack.available, "needs root, systemd, podman, Scripts/bootstrap and Scripts/image"))
struct EngineIsolationTests {
    static let httpd = ["sh", "-c", "mkdir -p /tmp/www && id -u > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]

    static func podmanExec(_ name: String, _ argv: [String]) async -> String? {
        guard let result = try? await ProcessRunner.run(ProcessRequest(
            "/usr/bin/podman", ["exec", name] + argv, environment: RealStack.podmanEnvironment, timeout: .seconds(30))),
            result.succeeded else { return nil }
        return result.stdoutText.split(separator: "\n").first.map(String.init)
    }

    @Test func isolatedContainersRunAsTheirOwnUIDs() async throws {
        let stack = try await RealStack.start()
        let names = ["ctr-iso-a", "ctr-iso-b", "ctr-iso-c"]
        do {
            let layout = stack.configuration.layout
            let engine = stack.engine()
            try await engine.open()

            // Refused before anything is written: an isolated container's command replaces the entrypoint.
            let before = tree(layout.stateDir)
            #expect(await errorKind {
                try await engine.install(ContainerInstallParams(id: "iso-x", image: "localhost/busybox:latest", isolate: true))
            } == .invalidParams)
            #expect(tree(layout.stateDir) == before)
            // A program the cmd script cannot exec safely is refused before the commit, uid released.
            #expect(await errorKind {
                try await engine.install(ContainerInstallParams(id: "iso-x", image: "localhost/busybox:latest",
                                                                command: ["-x"], isolate: true))
            } == .invalidParams)
            #expect(tree(layout.stateDir).filter { !$0.hasPrefix("uids") && !$0.hasPrefix("ports") }
                    == before.filter { !$0.hasPrefix("uids") && !$0.hasPrefix("ports") })
            #expect((try? FileSystem.list("\(layout.stateDir)/uids")) ?? [] == [])

            let a = try await engine.install(ContainerInstallParams(
                id: "iso-a", image: "localhost/busybox:latest", command: EngineIsolationTests.httpd,
                ports: [PortMapping(internal: 8080, external: 0)], isolate: true, start: true))
            let b = try await engine.install(ContainerInstallParams(
                id: "iso-b", image: "localhost/busybox:latest", command: ["sleep", "300"], isolate: true, start: true))
            let uidA = try #require(a.isolatedUID)
            let uidB = try #require(b.isolatedUID)
            #expect(uidA != uidB)
            #expect(stack.configuration.uidRange.contains(uidA) && stack.configuration.uidRange.contains(uidB))
            #expect(a.state == "active" && b.state == "active")
            #expect(try await engine.status(ContainerRefParams(id: "iso-a")).isolatedUID == uidA)

            // The uid the process really has, seen by the page it serves and by podman exec.
            let port = try #require(a.ports.first?.external)
            let page = await RealStack.curlEventually(port)
            #expect(page?.split(separator: "\n").first.map(String.init) == String(uidA))
            #expect(await EngineIsolationTests.podmanExec("ctr-iso-b", ["id", "-u"]) == String(uidB))
            #expect(await EngineIsolationTests.podmanExec("ctr-iso-b", ["id", "-g"]) == String(uidB))
            #expect(await EngineIsolationTests.podmanExec("ctr-iso-b", ["sh", "-c", "touch /x 2>/dev/null && echo writable || echo read-only"]) == "read-only")

            // Scripts (0755) and the home (owned by the uid) on the host.
            let pathsA = layout.container(try Identifier("iso-a"))
            var st = stat()
            #expect(stat(pathsA.initScript, &st) == 0 && st.st_mode & 0o777 == 0o755)
            #expect(stat(pathsA.cmdScript, &st) == 0 && st.st_mode & 0o777 == 0o755)
            #expect(stat(pathsA.homeDir, &st) == 0 && st.st_uid == uidA && st.st_gid == uidA)
            #expect(FileSystem.exists("\(layout.stateDir)/uids/\(uidA)"))

            // Delete releases the uid (the next isolated install gets it back, being the lowest free)
            // and removes the scripts and home.
            #expect(try await engine.delete(ContainerRefParams(id: "iso-a")))
            #expect(!FileSystem.exists("\(layout.stateDir)/uids/\(uidA)"))
            #expect(!FileSystem.exists(pathsA.runDir) && !FileSystem.exists(pathsA.homeDir))
            let c = try await engine.install(ContainerInstallParams(
                id: "iso-c", image: "localhost/busybox:latest", command: ["sleep", "300"], isolate: true))
            #expect(c.isolatedUID == uidA)
            #expect(c.isolatedUID != uidB)

            // A crash leftover: a uid claimed for a container whose record never committed.
            let uids = UIDAllocator(layout: layout, range: stack.configuration.uidRange)
            let ghost = try uids.reserve(for: try Identifier("ghost"))
            // The runDir is lost at boot: recovery writes the scripts again.
            let pathsB = layout.container(try Identifier("iso-b"))
            try FileSystem.removeTree(pathsB.runDir)
            let report = try await stack.engine().open()
            #expect(report.releasedUIDs == [ghost])
            #expect(try uids.uid(of: try Identifier("ghost")) == nil)
            #expect(try uids.uid(of: try Identifier("iso-b")) == uidB)
            #expect(FileSystem.exists(pathsB.initScript) && FileSystem.exists(pathsB.cmdScript))
        } catch {
            await stack.tearDown(containerNames: names)
            throw error
        }
        await stack.tearDown(containerNames: names)
    }
}
