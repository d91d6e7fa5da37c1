#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

/// A real private systemd manager (EmbeddedManager, the recipe of Scripts/lib/manager.sh) and an
/// engine whose state lives in a temporary directory. Everything it starts is stopped by name/PID
/// in `tearDown`.
final class RealStack: Sendable {
    static let containersConf = "/etc/berth/containers.conf"

    /// Root, systemd, podman, the bootstrap's containers.conf and the two local images.
    /// Asked once (each suite's trait reads it; every answer costs two podman runs).
    static let available: Bool = {
        guard getuid() == 0, FileSystem.exists("/lib/systemd/systemd"), FileSystem.exists("/usr/bin/podman"),
              FileSystem.exists(containersConf), FileSystem.exists("/usr/bin/curl") else { return false }
        for image in ["localhost/busybox:latest", "localhost/berth-httpd:latest"] {
            let result = try? ProcessRunner.runBlocking(ProcessRequest("/usr/bin/podman", ["image", "exists", image],
                                                                      environment: podmanEnvironment, timeout: .seconds(30)))
            if result?.succeeded != true { return false }
        }
        return true
    }()

    static let clientKind = getenv("BERTH_SYSTEMD_CLIENT").flatMap { SystemdClientKind(rawValue: String(cString: $0)) } ?? .dbus

    static let podmanEnvironment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CONTAINERS_CONF": containersConf]

    let directory: String
    let manager: EmbeddedManager
    let configuration: EngineConfiguration
    /// The engine's client: D-Bus unless BERTH_SYSTEMD_CLIENT=systemctl (to run the suites both ways).
    let systemd: any SystemdClient

    private init(directory: String, manager: EmbeddedManager, configuration: EngineConfiguration) {
        self.directory = directory
        self.manager = manager
        self.configuration = configuration
        self.systemd = RealStack.clientKind.client(for: manager.handle)
    }

    /// `ports`: how many host ports the engine may allocate (100 unless a test installs more).
    static func start(runtime: RuntimeConfiguration = RuntimeConfiguration(runtime: .podman), ports: Int = 100) async throws -> RealStack {
        // One real stack at a time: suites run in parallel, and two managers with containers on
        // a 2-core machine make every timing flaky.
        let slot = await RealStackGate.shared.enter()
        do {
            return try await start(runtime: runtime, slot: slot, ports: ports)
        } catch {
            await RealStackGate.shared.leave()
            throw error
        }
    }

    private static func start(runtime: RuntimeConfiguration, slot: Int, ports: Int) async throws -> RealStack {
        let directory = "/tmp/berth-engine-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.createDirectory(directory, mode: 0o700)
        let manager = try await EmbeddedManager.start(directory: "\(directory)/manager", containersConf: containersConf)
        let layout = try Layout(stateDir: "\(directory)/state", runDir: "\(directory)/run", unitDir: manager.handle.unitDir)
        // A range of our own, so concurrent test runs of other parts rarely meet ours.
        let base = UInt16(30000 + Int(getpid() % 150) * 200 + (slot % 2) * 100)
        let configuration = EngineConfiguration(layout: layout, manager: manager.handle, runtime: runtime,
                                                portRange: base...(base + UInt16(min(ports, 5000) - 1)))
        return RealStack(directory: directory, manager: manager, configuration: configuration)
    }

    func engine() -> ContainerEngine { ContainerEngine(configuration: configuration, systemd: systemd) }

    /// `systemctl show` run directly: the independent witness.
    func show(_ unit: String, _ property: String) async throws -> String {
        let result = try await ProcessRunner.run(ProcessRequest(
            "/bin/systemctl", ["--user", "show", "--property=" + property, "--value", "--", unit],
            environment: manager.handle.environment, timeout: .seconds(30)))
        return result.stdoutText.split(separator: "\n").first.map(String.init) ?? ""
    }

    /// The page at `port`, or nil when the connection fails.
    static func curl(_ port: UInt16) async -> String? {
        guard let result = try? await ProcessRunner.run(ProcessRequest(
            "/usr/bin/curl", ["-s", "--max-time", "3", "http://127.0.0.1:\(port)/"], timeout: .seconds(10))),
            result.succeeded else { return nil }
        return result.stdoutText
    }

    /// Retries while a just-started server comes up: until it answers, or a minute has passed (a guard
    /// against a server that never comes, not a time it must meet).
    static func curlEventually(_ port: UInt16) async -> String? {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let page = await curl(port) { return page }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Stops the manager (all its units), removes leftover containers by their exact names, the
    /// cgroups and the state.
    func tearDown(containerNames: [String]) async {
        await manager.stop()
        for name in containerNames {
            _ = try? await ProcessRunner.run(ProcessRequest("/usr/bin/podman", ["rm", "-f", "--ignore", name],
                                                            environment: RealStack.podmanEnvironment, timeout: .seconds(60)))
        }
        try? FileSystem.removeTree(directory)
        await RealStackGate.shared.leave()
    }
}

/// Admits one real stack at a time, first come first served; counts admissions.
actor RealStackGate {
    static let shared = RealStackGate()
    private var busy = false
    private var admitted = 0
    private var queue: [CheckedContinuation<Void, Never>] = []

    func enter() async -> Int {
        if busy {
            await withCheckedContinuation { queue.append($0) }
        } else {
            busy = true
        }
        admitted += 1
        return admitted
    }

    func leave() {
        if queue.isEmpty { busy = false } else { queue.removeFirst().resume() }
    }
}

/// The kind of the RPCError `body` throws, or nil when it succeeds.
func errorKind<T>(_ body: () async throws -> T) async -> ErrorKind? {
    do { _ = try await body(); return nil } catch let error as RPCError { return error.kind } catch { return ErrorKind("other: \(error)") }
}

/// Names (recursively, relative) under a directory, for "nothing changed" checks.
func tree(_ path: String) -> [String] {
    guard let names = try? FileSystem.list(path) else { return [] }
    var result: [String] = []
    for name in names.sorted() {
        result.append(name)
        result += tree("\(path)/\(name)").map { "\(name)/\($0)" }
    }
    return result
}
