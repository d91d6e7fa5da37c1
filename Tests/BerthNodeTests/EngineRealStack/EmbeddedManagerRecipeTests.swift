#if canImport(Glibc)
import Glibc
#endif
import BerthSystem
import Testing
@testable import BerthNode

private let canStartManagers = getuid() == 0 && FileSystem.exists("/lib/systemd/systemd")

/// EmbeddedManager and Scripts/lib/manager.sh are two copies of one recipe (berthd ships without the
/// script). This runs one against the other: a manager EmbeddedManager started is reached with the
/// script's client environment and stopped by the script's `manager_stop`, which knows it only by
/// the files in its directory (as Scripts/lib/cluster.sh stops managers).
@Suite(.enabled(if: canStartManagers, "needs root and /lib/systemd/systemd"))
struct EmbeddedManagerRecipeTests {
    static let script: String = {
        var path = #filePath
        for _ in 0..<4 { path = FileSystem.directoryName(of: path) }
        return path + "/Scripts/lib/manager.sh"
    }()

    @Test func theScriptReachesAndStopsAManagerEmbeddedManagerStarted() async throws {
        _ = await RealStackGate.shared.enter()
        let directory = "/tmp/berth-recipe-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let manager: EmbeddedManager
        do { manager = try await EmbeddedManager.start(directory: directory) } catch {
            await RealStackGate.shared.leave()
            throw error
        }
        // Whatever happens below, the manager goes (when manager_stop did its job, this finds nothing).
        do {
            // The variables manager_start would have set for this directory.
            let prelude = "source \"$1\"; MANAGER_DIR=\"$2\" MANAGER_XDG=\"$2/xdg\" MANAGER_UNITS=\"$2/units\"; "
            let client = try await bash(prelude + "manager_env; manager_systemctl is-active \(EmbeddedManager.rootTarget)", directory)
            var expected = manager.handle.environment
            expected["PATH"] = nil
            let lines = client.stdoutText.split(separator: "\n").map(String.init)
            let printed = Dictionary(lines.compactMap { line -> (String, String)? in
                guard let eq = line.firstIndex(of: "=") else { return nil }
                return (String(line[..<eq]), String(line[line.index(after: eq)...]))
            }, uniquingKeysWith: { a, _ in a })
            #expect(printed == expected, "manager_env and EmbeddedManager.handle disagree")
            #expect(lines.last == "active", "the script's systemctl reached the manager: \(client.stdoutText) \(client.stderrText)")

            let stop = try await bash("source \"$1\"; MANAGER_DIR=\"$2\"; manager_stop", directory)
            #expect(stop.succeeded, "manager_stop: \(stop.stderrText)")
            #expect(Self.isGone(manager.pid), "manager_stop found the manager by manager.pid and stopped it")
            let left = try FileSystem.list("/sys/fs/cgroup").filter { FileSystem.exists("/sys/fs/cgroup/\($0)/\(manager.cgroup)") }
            #expect(left.isEmpty, "manager_stop found the cgroup by manager.cgroup and removed it: \(left)")
        } catch {
            Issue.record(error)
        }
        await manager.stop()
        try? FileSystem.removeTree(directory)
        await RealStackGate.shared.leave()
    }

    /// No such process, or only its zombie (the launcher's shell exited, so PID 1 reaps it).
    static func isGone(_ pid: pid_t) -> Bool {
        guard let stat = try? FileSystem.read("/proc/\(pid)/stat", limit: 4096) else { return true }
        let text = String(decoding: stat, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return true }
        return text[text.index(after: close)...].trimmingPrefix(" ").hasPrefix("Z")
    }

    private func bash(_ body: String, _ directory: String) async throws -> ProcessResult {
        try await ProcessRunner.run(ProcessRequest("/bin/bash", ["-c", body, "recipe-test", Self.script, directory],
                                                   environment: ["PATH": ServiceManagerHandle.path], timeout: .seconds(30)))
    }
}
