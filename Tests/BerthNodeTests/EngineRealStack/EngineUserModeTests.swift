import Testing
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

/// User mode: a node started with a manager's client environment (as Scripts/lib/manager.sh's
/// manager_env prints it) detects `user`, writes units to `$XDG_CONFIG_HOME/systemd/user` and runs
/// containers there.
@Suite(.serialized, .enabled(if: RealStack.available, "needs root, systemd, podman, Scripts/bootstrap and Scripts/image"))
struct EngineUserModeTests {
    @Test func userModeFromTheManagersEnvironment() async throws {
        let stack = try await RealStack.start()
        do {
            let embedded = stack.manager.handle.environment
            let env = ["XDG_RUNTIME_DIR": embedded["XDG_RUNTIME_DIR"]!, "XDG_CONFIG_HOME": embedded["XDG_CONFIG_HOME"]!,
                       "SYSTEMD_UNIT_PATH": embedded["SYSTEMD_UNIT_PATH"]!, "HOME": "/root"]
            #expect(ManagerMode.detect(environment: env) == .user)
            let handle = ServiceManagerHandle.user(environment: env)
            #expect(handle.unitDir == "\(stack.manager.directory)/config/systemd/user")
            try FileSystem.createDirectory("\(stack.manager.directory)/config/systemd")
            let layout = try Layout(stateDir: "\(stack.directory)/ustate", runDir: "\(stack.directory)/urun", unitDir: handle.unitDir)
            let engine = ContainerEngine(
                configuration: EngineConfiguration(layout: layout, manager: handle, runtime: RuntimeConfiguration(runtime: .podman),
                                                   portRange: stack.configuration.portRange),
                systemd: RealStack.clientKind.client(for: handle))
            try await engine.open()
            let status = try await engine.install(ContainerInstallParams(
                id: "useronly", image: "localhost/berth-httpd:latest", ports: [PortMapping(internal: 8080, external: 0)], start: true))
            #expect(status.state == "active")
            #expect(try await stack.show("ctr-useronly.service", "FragmentPath") == "\(handle.unitDir)/ctr-useronly.service")
            #expect(await RealStack.curlEventually(try #require(status.ports.first?.external))?.contains("berth-httpd") == true)
            #expect(try await engine.delete(ContainerRefParams(id: "useronly")))
            #expect(try await stack.show("ctr-useronly.service", "LoadState") == "not-found")
        } catch {
            await stack.tearDown(containerNames: ["ctr-useronly"])
            throw error
        }
        await stack.tearDown(containerNames: ["ctr-useronly"])
    }
}

/// A socket-activated container: the host socket listens, the first connection starts proxy and
/// container and gets the page.
@Suite(.serialized, .enabled(if: RealStack.available, "needs root, systemd, podman, Scripts/bootstrap and Scripts/image"))
struct EngineSocketActivationTests {
    @Test func firstConnectionStartsTheContainer() async throws {
        let stack = try await RealStack.start()
        do {
            let engine = stack.engine()
            try await engine.open()
            let status = try await engine.install(ContainerInstallParams(
                id: "lazy", image: "localhost/berth-httpd:latest", ports: [PortMapping(internal: 8080, external: 0)],
                environment: [EnvironmentEntry(name: "BERTH_PAGE", value: "woken")], socketActivated: true, start: true))
            #expect(status.socketActivated)
            #expect(status.enabled)
            #expect(status.state == "inactive")
            let port = try #require(status.ports.first?.external)
            #expect(try await stack.show("ctr-lazy@\(port).socket", "ActiveState") == "active")
            #expect(await RealStack.curlEventually(port)?.contains("woken") == true)
            #expect(try await stack.show("ctr-lazy.service", "ActiveState") == "active")
            let reservations = try PortAllocator(layout: stack.configuration.layout, range: stack.configuration.portRange).reservations()
            #expect(reservations.count == 2)
            let stopped = try await engine.stop(ContainerStopParams(id: "lazy", wait: true))
            #expect(stopped.state == "inactive")
            #expect(try await stack.show("ctr-lazy@\(port).socket", "ActiveState") == "inactive")
            #expect(await RealStack.curl(port) == nil)
            #expect(try await engine.delete(ContainerRefParams(id: "lazy")))
            #expect(try await stack.show("ctr-lazy@\(port).socket", "LoadState") == "not-found")
            #expect(try FileSystem.list(stack.configuration.layout.unitDir).filter { $0.hasPrefix("ctr-") }.isEmpty)
            #expect(try PortAllocator(layout: stack.configuration.layout, range: stack.configuration.portRange).reservations().isEmpty)
        } catch {
            await stack.tearDown(containerNames: ["ctr-lazy"])
            throw error
        }
        await stack.tearDown(containerNames: ["ctr-lazy"])
    }
}
