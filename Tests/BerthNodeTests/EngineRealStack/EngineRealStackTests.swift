import Testing
#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

/// The engine against a real private systemd manager and real podman containers.
@Suite(.serialized, .enabled(if: RealStack.available, "needs root, systemd, podman, Scripts/bootstrap and Scripts/image"))
struct EngineRealStackTests {
    @Test func lifecycleOfAnHttpdContainer() async throws {
        let stack = try await RealStack.start()
        let names = ["ctr-web", "ctr-again"]
        do {
            let engine = stack.engine()
            try await engine.open()
            let installed = try await engine.install(ContainerInstallParams(
                id: "web", image: "localhost/berth-httpd:latest", ports: [PortMapping(internal: 8080, external: 0)],
                environment: [EnvironmentEntry(name: "BERTH_PAGE", value: "hello-from-berth")], start: true))
            #expect(installed.state == "active")
            #expect(installed.enabled)
            #expect(installed.mainPID != nil)
            #expect(installed.environmentNames == ["BERTH_PAGE"])
            let port = try #require(installed.ports.first?.external)
            #expect(stack.configuration.portRange.contains(port))
            let page = await RealStack.curlEventually(port)
            #expect(page?.contains("berth-httpd") == true)
            #expect(page?.contains("hello-from-berth") == true)
            #expect(try await stack.show("ctr-web.service", "ActiveState") == "active")

            let stopped = try await engine.stop(ContainerStopParams(id: "web", wait: true))
            #expect(stopped.state == "inactive")
            #expect(!stopped.enabled)
            #expect(try await stack.show("ctr-web.service", "ActiveState") == "inactive")
            #expect(await RealStack.curl(port) == nil)
            let listed = try await engine.list(ContainerListParams())
            #expect(listed.containers.map(\.id) == ["web"])
            #expect(listed.containers.first?.state == "inactive")

            let restarted = try await engine.restart(ContainerRefParams(id: "web"))
            #expect(restarted.state == "active")
            #expect(try await stack.show("ctr-web.service", "ActiveState") == "active")
            #expect(await RealStack.curlEventually(port)?.contains("hello-from-berth") == true)
            #expect(try await engine.list(ContainerListParams(state: "active")).containers.map(\.id) == ["web"])
            #expect(try await engine.ports(ContainerRefParams(id: "web")).ports == installed.ports)

            // Delete: unit, files, port gone; the port can be taken again.
            let paths = stack.configuration.layout.container(try Identifier("web"))
            #expect(try await engine.delete(ContainerRefParams(id: "web")))
            #expect(!FileSystem.exists(paths.unitFile))
            #expect(!FileSystem.exists(paths.directory))
            #expect(!FileSystem.exists(paths.startOnBootLink))
            #expect(!FileSystem.exists("\(stack.configuration.layout.portsDir)/\(port)"))
            #expect(try await stack.show("ctr-web.service", "LoadState") == "not-found")
            #expect(await RealStack.curl(port) == nil)
            #expect(try await engine.list(ContainerListParams()).containers.isEmpty)
            #expect(await errorKind { try await engine.status(ContainerRefParams(id: "web")) } == .notFound)
            let again = try await engine.install(ContainerInstallParams(
                id: "again", image: "localhost/berth-httpd:latest", ports: [PortMapping(internal: 8080, external: port)], start: true))
            #expect(again.ports.first?.external == port)
            #expect(await RealStack.curlEventually(port)?.contains("berth-httpd") == true)
            #expect(try await engine.delete(ContainerRefParams(id: "again")))
        } catch {
            await stack.tearDown(containerNames: names)
            throw error
        }
        await stack.tearDown(containerNames: names)
    }

    /// Values with quotes, `$`, `%`, backslashes, blanks and Unicode arrive byte for byte, and so do
    /// variables whose names the runtime, the dynamic loader or systemd would read: they reach the
    /// container only, never podman's own environment (a `PATH` without podman's helpers, or a
    /// `CONTAINER_HOST`, used to stop the container from starting).
    @Test func environmentValuesArriveByteExact() async throws {
        let stack = try await RealStack.start()
        do {
            let engine = stack.engine()
            try await engine.open()
            let values: [(String, String)] = [
                ("QUOTES", #"a "double" and 'single' quote"#),
                ("DOLLARS", "$HOME ${PATH} $$ $(id) `id`"),
                ("PERCENT", "100% %n %% %i"),
                ("UNICODE", "ünïcödé ✓ 日本語 🚢"),
                ("BLANKS", "  leading and trailing  "),
                ("BACKSLASH", #"back\slash \n \\ \"#),
                ("EQUALS", "=a=b="),
                ("HASH", "# not a comment"),
                ("EMPTY", ""),
                ("PATH", "/nowhere"),
                ("LD_PRELOAD", "/nonexistent/berth-preload.so"),
                ("LD_LIBRARY_PATH", "/nonexistent"),
                ("CONTAINER_HOST", "unix:///nonexistent/podman.sock"),
                ("CONTAINER_CONNECTION", "nowhere"),
                ("CONTAINERS_CONF", "/nonexistent/containers.conf"),
                ("CONTAINERS_STORAGE_CONF", "/nonexistent/storage.conf"),
                ("NETAVARK_FW", "none"),
                ("DOCKER_HOST", "unix:///nonexistent/docker.sock"),
                ("TMPDIR", "/nonexistent/tmp"),
                ("XDG_RUNTIME_DIR", "/nonexistent/xdg"),
                ("XDG_CONFIG_HOME", "/nonexistent/config"),
                ("HOME", "/nonexistent/home"),
                ("SYSTEMD_LOG_LEVEL", "debug"),
                ("LISTEN_FDS", "3"),
            ]
            let out = "\(stack.directory)/out"
            try FileSystem.createDirectory(out, mode: 0o777)
            // Only shell builtins and absolute paths: the container's PATH leads nowhere. The
            // shell's `>` creates each file before printf fills it, so the test waits for a marker
            // written after every value, not for the files themselves.
            let script = values.map { "printf %s \"$\($0.0)\" > /out/\($0.0)" }.joined(separator: "; ")
                + "; printf x > /out/.written; exec /bin/sleep 1000"
            let status = try await engine.install(ContainerInstallParams(
                id: "envtest", image: "localhost/busybox:latest", command: ["/bin/sh", "-c", script],
                environment: values.map { EnvironmentEntry(name: $0.0, value: $0.1) },
                volumes: [BerthProtocol.VolumeMount(hostPath: out, containerPath: "/out")], start: true))
            #expect(status.state == "active")
            var written = false
            let deadline = ContinuousClock.now + .seconds(60)  // a guard: the loop ends when the file is there
            while ContinuousClock.now < deadline {
                if try FileSystem.readIfExists("\(out)/.written") != nil { written = true; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(written, "the container never wrote its values")
            for (name, value) in values {
                let bytes = try FileSystem.readIfExists("\(out)/\(name)")
                #expect(bytes == Array(value.utf8), "\(name) arrived as \(String(decoding: bytes ?? [], as: UTF8.self).debugDescription)")
            }
            // The unit hands systemd and the runtime none of them.
            let unit = String(decoding: try FileSystem.read(stack.configuration.layout.container(try Identifier("envtest")).unitFile), as: UTF8.self)
            #expect(!unit.contains("EnvironmentFile="))
            #expect(!unit.contains("nonexistent"))
            let env = try await engine.environment(ContainerRefParams(id: "envtest"))
            #expect(env.environment.map(\.name) == values.map(\.0))
            #expect(env.environment.map(\.value) == values.map(\.1))
            // A line break cannot reach the container through the runtime's env-file: refused,
            // and the environment stays as it was.
            for broken in ["new\nvalue", "carriage\rreturn"] {
                #expect(await errorKind {
                    try await engine.patchEnvironment(ContainerEnvPatchParams(id: "envtest", set: [EnvironmentEntry(name: "ADDED", value: broken)]))
                } == .invalidParams)
            }
            #expect(try await engine.environment(ContainerRefParams(id: "envtest")).environment == env.environment)
            #expect(await errorKind {
                try await engine.install(ContainerInstallParams(id: "envbroken", image: "localhost/busybox:latest",
                                                                environment: [EnvironmentEntry(name: "PEM", value: "a\nb")]))
            } == .invalidParams)
            #expect(await errorKind { try await engine.status(ContainerRefParams(id: "envbroken")) } == .notFound)
            let patched = try await engine.patchEnvironment(ContainerEnvPatchParams(
                id: "envtest", set: [EnvironmentEntry(name: "ADDED", value: "new value")], unset: ["EMPTY"]))
            #expect(patched.appliesOnNextStart == true)
            #expect(patched.environment.map(\.name) == values.map(\.0).filter { $0 != "EMPTY" } + ["ADDED"])
            #expect(try await engine.delete(ContainerRefParams(id: "envtest")))
        } catch {
            await stack.tearDown(containerNames: ["ctr-envtest"])
            throw error
        }
        await stack.tearDown(containerNames: ["ctr-envtest"])
    }

    /// 32 installs at once: all succeed, no port twice, daemon-reloads coalesced.
    @Test func concurrentInstallsShareReloads() async throws {
        let stack = try await RealStack.start()
        do {
            let engine = stack.engine()
            try await engine.open()
            let before = await engine.reloadCount()
            let statuses = try await withThrowingTaskGroup(of: ContainerStatus.self) { group in
                for i in 0..<32 {
                    group.addTask {
                        try await engine.install(ContainerInstallParams(
                            id: "many-\(i)", image: "localhost/busybox:latest", command: ["sleep", "1000"],
                            ports: [PortMapping(internal: 80, external: 0), PortMapping(internal: 443, external: 0)]))
                    }
                }
                var all: [ContainerStatus] = []
                for try await status in group { all.append(status) }
                return all
            }
            let reloads = await engine.reloadCount() - before
            let ports = statuses.flatMap(\.ports).map(\.external)
            #expect(statuses.count == 32)
            #expect(Set(ports).count == 64)
            // New units: systemd reads them on first use, so no install needs a reload at all.
            #expect(reloads == 0, "32 installs of new containers caused \(reloads) reloads")
            print("32 concurrent installs: \(reloads) daemon-reloads")
            #expect(try await engine.list(ContainerListParams()).containers.count == 32)
            #expect(try await stack.show("ctr-many-7.service", "LoadState") == "loaded")
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<32 { group.addTask { try await engine.delete(ContainerRefParams(id: "many-\(i)")) } }
                for try await deleted in group { #expect(deleted) }
            }
            #expect(try await engine.list(ContainerListParams()).containers.isEmpty)
            #expect(tree(stack.configuration.layout.portsDir).isEmpty)
        } catch {
            await stack.tearDown(containerNames: [])
            throw error
        }
        await stack.tearDown(containerNames: [])
    }
}

/// The docker runtime: the docker CLI against podman's Docker API, served by a unit of the node.
/// The CLI is found as berthd finds it (`RuntimeConfiguration.resolve` on the PATH), wherever it is.
@Suite(.serialized, .enabled(if: RealStack.available && ExecutableSearch.find("docker", in: ExecutableSearch.defaultPath) != nil,
                             "needs the real stack and the docker CLI"))
struct EngineDockerTests {
    static func runtime(_ directory: String) throws -> RuntimeConfiguration {
        try RuntimeConfiguration.resolve(runtime: .docker, dockerHost: "unix://\(directory)/podman.sock", servesPodmanAPI: true,
                                         searchPath: ExecutableSearch.defaultPath)
    }

    @Test func dockerRuntimeLifecycle() async throws {
        let directory = "/tmp/berth-engine-docker-\(getpid())"
        let stack = try await RealStack.start(runtime: try EngineDockerTests.runtime(directory))
        do {
            try FileSystem.createDirectory(directory, mode: 0o700)
            let engine = stack.engine()
            try await engine.open()
            let installed = try await engine.install(ContainerInstallParams(
                id: "dweb", image: "localhost/berth-httpd:latest", ports: [PortMapping(internal: 8080, external: 0)],
                environment: [EnvironmentEntry(name: "BERTH_PAGE", value: "via-docker $x %n")], start: true))
            #expect(installed.state == "active")
            let port = try #require(installed.ports.first?.external)
            #expect(await RealStack.curlEventually(port)?.contains("via-docker $x %n") == true)
            #expect(try await stack.show("ctr-dweb.service", "ActiveState") == "active")
            let stopped = try await engine.stop(ContainerStopParams(id: "dweb", wait: true))
            #expect(stopped.state == "inactive")
            #expect(await RealStack.curl(port) == nil)
            #expect(try await engine.restart(ContainerRefParams(id: "dweb")).state == "active")
            #expect(await RealStack.curlEventually(port)?.contains("via-docker") == true)
            #expect(try await engine.delete(ContainerRefParams(id: "dweb")))
            #expect(try await stack.show("ctr-dweb.service", "LoadState") == "not-found")
        } catch {
            await stack.tearDown(containerNames: ["ctr-dweb"])
            try? FileSystem.removeTree(directory)
            throw error
        }
        await stack.tearDown(containerNames: ["ctr-dweb"])
        try? FileSystem.removeTree(directory)
    }

    /// A docker container is `Type=simple`: systemd's job is done once the CLI was forked. A start
    /// whose container cannot run (its command exits 1 at once; an image nobody has) must answer
    /// `runtime_failed` with the unit's result, for start, restart and install with start alike.
    @Test func aDockerContainerThatFailsAtOnceIsNotReportedStarted() async throws {
        let directory = "/tmp/berth-engine-docker-fail-\(getpid())"
        let stack = try await RealStack.start(runtime: try EngineDockerTests.runtime(directory))
        let names = ["ctr-dfail", "ctr-dnoimg"]
        do {
            try FileSystem.createDirectory(directory, mode: 0o700)
            let engine = stack.engine()
            try await engine.open()
            func failure(_ body: () async throws -> ContainerStatus) async -> RPCError? {
                do { _ = try await body(); return nil } catch { return error as? RPCError }
            }
            let install = await failure {
                try await engine.install(ContainerInstallParams(
                    id: "dfail", image: "localhost/busybox:latest", command: ["sh", "-c", "exit 3"], start: true))
            }
            #expect(install?.kind == .runtimeFailed)
            #expect(install?.details["exitStatus"] == .int(3))
            #expect(install?.details["result"] == .string("exit-code"))
            #expect(try await stack.show("ctr-dfail.service", "ActiveState") == "failed")
            let start = await failure { try await engine.start(ContainerRefParams(id: "dfail")) }
            #expect(start?.kind == .runtimeFailed && start?.details["exitStatus"] == .int(3))
            let restart = await failure { try await engine.restart(ContainerRefParams(id: "dfail")) }
            #expect(restart?.kind == .runtimeFailed)

            _ = try await engine.install(ContainerInstallParams(id: "dnoimg", image: "localhost/berth-no-such-image:latest"))
            let missing = await failure { try await engine.start(ContainerRefParams(id: "dnoimg")) }
            #expect(missing?.kind == .runtimeFailed)
            #expect(try await engine.status(ContainerRefParams(id: "dnoimg")).state == "failed")
            for id in ["dfail", "dnoimg"] { #expect(try await engine.delete(ContainerRefParams(id: id))) }
        } catch {
            await stack.tearDown(containerNames: names)
            try? FileSystem.removeTree(directory)
            throw error
        }
        await stack.tearDown(containerNames: names)
        try? FileSystem.removeTree(directory)
    }
}
