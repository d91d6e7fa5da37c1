#if canImport(Glibc)
import Glibc
#endif
import Testing
import BerthCore
import BerthSystem
@testable import BerthNode

/// `RuntimeConfiguration.resolve`: every program the units run is found once, by absolute path,
/// and a missing one refuses the start-up naming it. Runs on a search path of temporary
/// directories holding real files, so what the node's PATH holds does not matter.
@Suite struct RuntimeResolveTests {
    /// A directory with an executable file for each name (and `notExecutable` files without x).
    func withBin(_ names: [String], notExecutable: [String] = [], _ body: (String) throws -> Void) throws {
        let dir = "/tmp/berth-resolve-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.createDirectory(dir, mode: 0o700)
        defer { try? FileSystem.removeTree(dir) }
        for name in names { try FileSystem.writeAtomically(Array("#!/bin/sh\n".utf8), to: "\(dir)/\(name)", mode: 0o755) }
        for name in notExecutable { try FileSystem.writeAtomically(Array("#!/bin/sh\n".utf8), to: "\(dir)/\(name)", mode: 0o644) }
        try body(dir)
    }

    static let helpers = ["rm", "bash", "env", "systemd-socket-proxyd"]

    @Test func findsEveryProgramInThePathItIsGiven() throws {
        try withBin(Self.helpers + ["docker", "podman"]) { bin in
            let resolved = try RuntimeConfiguration.resolve(runtime: .docker, dockerHost: "unix:///run/x/podman-api.sock",
                                                            servesPodmanAPI: true, searchPath: "/nonexistent-dir::\(bin)")
            #expect(resolved.path == "\(bin)/docker")
            #expect(resolved.podmanAPIServer == "\(bin)/podman")
            #expect(resolved.tools == UnitTools(remove: "\(bin)/rm", shell: "\(bin)/bash", env: "\(bin)/env",
                                               socketProxy: resolved.tools.socketProxy))
            #expect(resolved.toolPaths["runtime"] == "\(bin)/docker" && resolved.toolPaths["podmanAPI"] == "\(bin)/podman")
            #expect(resolved.podmanAPISocket == "/run/x/podman-api.sock")
        }
    }

    /// The case: the docker CLI is not where a fixed path said (`/usr/bin/docker`).
    @Test func aMissingRuntimeRefusesTheStartNamingIt() throws {
        try withBin(Self.helpers, notExecutable: ["docker"]) { bin in
            let error = #expect(throws: ConfigurationError.self) {
                try RuntimeConfiguration.resolve(runtime: .docker, dockerHost: "unix:///run/x.sock", searchPath: bin)
            }
            #expect(error?.message.contains("docker (") == true)
            #expect(error?.message.contains("not found in \(bin)") == true)
        }
    }

    @Test func everyMissingProgramIsNamedAtOnce() throws {
        try withBin(["podman", "docker"]) { bin in
            let error = #expect(throws: ConfigurationError.self) {
                try RuntimeConfiguration.resolve(runtime: .podman, searchPath: bin)
            }
            for name in ["rm (", "bash (", "env ("] { #expect(error?.message.contains(name) == true, "\(name)") }
        }
    }

    @Test func theDockerRuntimeServingPodmansAPINeedsPodman() throws {
        try withBin(Self.helpers + ["docker"]) { bin in
            let error = #expect(throws: ConfigurationError.self) {
                try RuntimeConfiguration.resolve(runtime: .docker, dockerHost: "unix:///run/x.sock", servesPodmanAPI: true, searchPath: bin)
            }
            #expect(error?.message.contains("podman (serves the Docker API") == true)
            // A remote DOCKER_HOST is someone else's engine: no podman needed.
            let remote = try RuntimeConfiguration.resolve(runtime: .docker, dockerHost: "tcp://198.18.0.9:2375",
                                                          servesPodmanAPI: true, searchPath: bin)
            #expect(remote.podmanAPIServer == nil && remote.podmanAPISocket == nil)
        }
    }

    @Test func autoPicksPodmanWhenThePathHasIt() throws {
        try withBin(Self.helpers + ["podman", "docker"]) { bin in
            let auto = try RuntimeConfiguration.resolve(runtime: nil, searchPath: bin)
            #expect(auto.runtime == .podman)
        }
        try withBin(Self.helpers + ["docker"]) { bin in
            let docker = try RuntimeConfiguration.resolve(runtime: nil, dockerHost: "unix:///d.sock", searchPath: bin)
            #expect(docker.runtime == .docker && docker.path == "\(bin)/docker" && docker.dockerHost == "unix:///d.sock")
        }
    }

    @Test func aConfiguredRuntimePathMustBeExecutable() throws {
        try withBin(Self.helpers + ["my-docker"], notExecutable: ["plain"]) { bin in
            let given = try RuntimeConfiguration.resolve(runtime: .docker, runtimePath: "\(bin)/my-docker", searchPath: bin)
            #expect(given.path == "\(bin)/my-docker")
            let error = #expect(throws: ConfigurationError.self) {
                try RuntimeConfiguration.resolve(runtime: .docker, runtimePath: "\(bin)/plain", searchPath: bin)
            }
            #expect(error?.message.contains("not an executable file") == true)
            #expect(throws: ConfigurationError.self) {
                try RuntimeConfiguration.resolve(runtime: nil, runtimePath: "\(bin)/my-docker", searchPath: bin)
            }
        }
    }

    @Test func resolvedPathsAreWhatTheUnitsRun() throws {
        try withBin(Self.helpers + ["podman"]) { bin in
            let tools = try RuntimeConfiguration.resolve(runtime: .podman, searchPath: bin).tools
            let spec = ContainerUnitSpec(id: try Identifier("web"), image: "localhost/busybox:latest", ports: [PortPair(internal: 80, external: 20080)],
                                         runtimePath: "\(bin)/podman", shape: .socketActivated,
                                         socketActivation: SocketActivation(backendPorts: [20080: 20081]),
                                         tools: tools)
            let units = try ContainerUnitRenderer.render(spec)
            let service = units.service.text
            #expect(service.contains("ExecStartPre=\(bin)/rm -f %t/%n.ctr-id"))
            #expect(service.contains("ExecStart=\(bin)/podman run"))
            #expect(service.contains("ExecStartPost=\(bin)/bash -c"))
            // systemd's library directory comes first for the proxy (it is not on PATH as a rule).
            #expect(ExecutableSearch.isExecutable(tools.socketProxy) && tools.socketProxy.hasSuffix("/systemd-socket-proxyd"))
            #expect(units.proxies.first?.text.contains("ExecStart=\(tools.socketProxy) ") == true)
            #expect(!service.contains("/bin/rm ") && !service.contains("/bin/bash "))
        }
    }
}
