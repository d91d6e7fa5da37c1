#if canImport(Glibc)
import Glibc
#endif
import BerthSystem
import Testing
@testable import BerthNode

private let canStartManagers = getuid() == 0 && FileSystem.exists("/lib/systemd/systemd")

/// `DBusSystemdClient` live against a private manager (EmbeddedManager), with `systemctl` as the
/// independent witness of every state it reports.
@Suite(.serialized, .enabled(if: canStartManagers, "needs root and /lib/systemd/systemd"))
struct DBusSystemdClientTests {
    /// A private manager in a temporary directory, stopped (with all its units) and removed on every path.
    static func withManager(_ body: (EmbeddedManager, DBusSystemdClient) async throws -> Void) async throws {
        _ = await RealStackGate.shared.enter()
        let directory = "/tmp/berth-dbusclient-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var manager: EmbeddedManager?
        do {
            manager = try await EmbeddedManager.start(directory: directory)
            let client = DBusSystemdClient(handle: manager!.handle)
            try await body(manager!, client)
            await client.close()
        } catch {
            Issue.record(error)
        }
        await manager?.stop()
        try? FileSystem.removeTree(directory)
        await RealStackGate.shared.leave()
    }

    static func writeUnit(_ manager: EmbeddedManager, _ name: String, _ text: String) throws {
        try FileSystem.writeAtomically(Array(text.utf8), to: "\(manager.handle.unitDir)/\(name)")
    }

    /// `systemctl --user show --value` run directly.
    static func witness(_ manager: EmbeddedManager, _ unit: String, _ property: String) async throws -> String {
        let result = try await ProcessRunner.run(ProcessRequest(
            "/bin/systemctl", ["--user", "show", "--property=" + property, "--value", "--", unit],
            environment: manager.handle.environment, timeout: .seconds(30)))
        return result.stdoutText.split(separator: "\n").first.map(String.init) ?? ""
    }

    static func systemctl(_ manager: EmbeddedManager, _ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run(ProcessRequest("/bin/systemctl", ["--user"] + arguments,
                                                     environment: manager.handle.environment, timeout: .seconds(60)))
    }

    /// The error `body` throws, or nil when it succeeds.
    static func failure(_ body: () async throws(SystemdError) -> Void) async -> SystemdError? {
        do { try await body() } catch { return error }
        return nil
    }

    @Test func privateSocketFollowsTheHandle() {
        #expect(ServiceManagerHandle.system().privateSocket == "/run/systemd/private")
        let user = ServiceManagerHandle.user(environment: ["XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/u"])
        #expect(user.privateSocket == "/run/user/1000/systemd/private")
        #expect(EmbeddedManager.handle(directory: "/tmp/m").privateSocket == "/tmp/m/xdg/systemd/private")
    }

    @Test func propertiesPrintLikeSystemctl() {
        #expect(DBusSystemdClient.text(.boolean(true)) == "yes" && DBusSystemdClient.text(.boolean(false)) == "no")
        #expect(DBusSystemdClient.text(.uint32(4242)) == "4242" && DBusSystemdClient.text(.int32(-1)) == "-1")
        #expect(DBusSystemdClient.text(.uint64(UInt64.max)) == "18446744073709551615")
        #expect(DBusSystemdClient.text(.strings(["a.service", "b.socket"])) == "a.service b.socket")
        #expect(DBusSystemdClient.interfaces(for: "MainPID", of: "ctr-a.service").first == "org.freedesktop.systemd1.Service")
        #expect(DBusSystemdClient.interfaces(for: "ActiveState", of: "ctr-a.service").first == "org.freedesktop.systemd1.Unit")
    }

    @Test func startStopRestartShowAndListAgreeWithSystemctl() async throws {
        try await Self.withManager { manager, client in
            try Self.writeUnit(manager, "berth-dc-a.service", "[Service]\nExecStart=/bin/sleep 300\n")
            try Self.writeUnit(manager, "berth-dc-b.service", "[Service]\nExecStart=/bin/sleep 300\n")
            try await client.daemonReload()

            try await client.start("berth-dc-a.service")
            #expect(try await Self.witness(manager, "berth-dc-a.service", "ActiveState") == "active")
            let shown = try await client.show(["berth-dc-a.service", "berth-dc-b.service", "berth-dc-none.service"],
                                              properties: ["ActiveState", "SubState", "MainPID", "LoadState"])
            let a = try #require(shown["berth-dc-a.service"])
            #expect(a["ActiveState"] == "active" && a["SubState"] == "running" && a["Id"] == "berth-dc-a.service")
            let pid = try #require(a["MainPID"].flatMap { Int32($0) })
            #expect(String(try await Self.witness(manager, "berth-dc-a.service", "MainPID")) == "\(pid)")
            #expect(String(decoding: try FileSystem.read("/proc/\(pid)/comm", limit: 64), as: UTF8.self) == "sleep\n")
            #expect(shown["berth-dc-b.service"]?["ActiveState"] == "inactive" && shown["berth-dc-b.service"]?["MainPID"] == "0")
            #expect(shown["berth-dc-none.service"]?["LoadState"] == "not-found", "an unknown unit answers, as with systemctl show")

            let listed = try await client.listUnits(matching: "berth-dc-*.service")
            let byName = Dictionary(uniqueKeysWithValues: listed.map { ($0.name, $0) })
            #expect(byName["berth-dc-a.service"] == UnitListing(name: "berth-dc-a.service", loadState: "loaded",
                                                                 activeState: "active", subState: "running"))
            #expect(listed.allSatisfy { $0.name.hasPrefix("berth-dc-") }, "the pattern filters: \(listed.map(\.name))")

            try await client.restart("berth-dc-a.service")
            let restartedPID = try await Self.witness(manager, "berth-dc-a.service", "MainPID")
            #expect(restartedPID != "\(pid)" && restartedPID != "0", "a restart gives a new main process")

            try await client.stop("berth-dc-a.service", wait: true)
            #expect(try await Self.witness(manager, "berth-dc-a.service", "ActiveState") == "inactive",
                    "stop returned only after the job finished")

            // Concurrent jobs on the one connection each wait for their own JobRemoved.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for unit in ["berth-dc-a.service", "berth-dc-b.service"] { group.addTask { try await client.start(unit) } }
                try await group.waitForAll()
            }
            #expect(try await Self.witness(manager, "berth-dc-a.service", "ActiveState") == "active")
            #expect(try await Self.witness(manager, "berth-dc-b.service", "ActiveState") == "active")
            try await client.stop("berth-dc-b.service", wait: false)
            let deadline = ContinuousClock.now + .seconds(60)  // a guard: the loop ends when systemd says so
            while ContinuousClock.now < deadline {
                if try await Self.witness(manager, "berth-dc-b.service", "ActiveState") == "inactive" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await Self.witness(manager, "berth-dc-b.service", "ActiveState") == "inactive")
        }
    }

    @Test func aFailedJobIsAnErrorNamingUnitAndResult() async throws {
        try await Self.withManager { manager, client in
            try Self.writeUnit(manager, "berth-dc-false.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n")
            try await client.daemonReload()
            let failed = try #require(await Self.failure { () async throws(SystemdError) in try await client.start("berth-dc-false.service") },
                                      "starting a unit whose process fails succeeded")
            #expect(failed.message.contains("berth-dc-false.service") && failed.message.contains("job failed")
                    && failed.message.contains("exit-code"), "\(failed.message)")
            #expect(try await Self.witness(manager, "berth-dc-false.service", "ActiveState") == "failed")
            try await client.resetFailed("berth-dc-false.service")
            #expect(try await Self.witness(manager, "berth-dc-false.service", "ActiveState") == "inactive")

            // systemd's own refusal keeps its name and words.
            let refused = try #require(await Self.failure { () async throws(SystemdError) in
                try await client.stop("berth-dc-unknown.service", wait: true)
            }, "stopping a unit systemd does not have succeeded")
            #expect(refused.message.contains("stop berth-dc-unknown.service") && refused.message.contains("NoSuchUnit"),
                    "\(refused.message)")
        }
    }

    @Test func reconnectsAfterTheManagerReexecutesOrRestarts() async throws {
        try await Self.withManager { manager, client in
            try Self.writeUnit(manager, "berth-dc-r.service", "[Service]\nExecStart=/bin/sleep 300\n")
            try await client.daemonReload()
            let first = try await client.bus().connection
            // daemon-reexec drops every private connection.
            let reexec = try await Self.systemctl(manager, ["daemon-reexec"])
            #expect(reexec.succeeded, "\(reexec.stderrText)")
            try await client.start("berth-dc-r.service")
            #expect(try await Self.witness(manager, "berth-dc-r.service", "ActiveState") == "active")
            #expect(first.isClosed, "the old connection died with the exec")
            #expect(try await client.bus().connection !== first, "the client opened a new connection")
        }
    }

    @Test func reconnectsToANewManagerStartedWhileACallWaits() async throws {
        _ = await RealStackGate.shared.enter()
        let directory = "/tmp/berth-dbusclient-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // Each manager is stopped exactly once, by its own PID.
        var running: EmbeddedManager?
        do {
            running = try await EmbeddedManager.start(directory: directory)
            let client = DBusSystemdClient(handle: running!.handle)
            try await client.daemonReload()
            await running!.stop()
            running = nil
            async let listed = client.listUnits(matching: "*.target")
            try await Task.sleep(for: .milliseconds(300))
            running = try await EmbeddedManager.start(directory: directory)
            #expect(try await listed.contains { $0.name == EmbeddedManager.rootTarget })
            await client.close()
        } catch {
            Issue.record(error)
        }
        await running?.stop()
        try? FileSystem.removeTree(directory)
        await RealStackGate.shared.leave()
    }

    @Test func anUnreachableManagerIsAClearError() async throws {
        let client = DBusSystemdClient(socketPath: "/tmp/berth-no-such-dir-\(getpid())/systemd/private",
                                       reconnectWindow: .milliseconds(300))
        let started = ContinuousClock.now
        let error = try #require(await Self.failure { () async throws(SystemdError) in try await client.start("ctr-x.service") },
                                 "a call without a manager succeeded")
        #expect(error.message.contains("start ctr-x.service") && error.message.contains("unreachable")
                && error.message.contains("/tmp/berth-no-such-dir-"), "\(error.message)")
        // The window is waited out (no give-up at the first refusal) and it ends the wait: the minute
        // is only the guard against a client that ignores it and hangs.
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(300), "the client retried for its reconnect window: \(waited)")
        #expect(waited < .seconds(60), "the reconnect window bounds the wait: \(waited)")
    }
}
