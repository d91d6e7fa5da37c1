#if canImport(Glibc)
import Glibc
#endif
import BerthDBus
import BerthSystemd
import BerthSystem
import Testing
@testable import BerthNode

private let canStartManagers = getuid() == 0 && FileSystem.exists("/lib/systemd/systemd")

/// `UnitStateCache` fed by a `DBusSystemdClient`, against a live private manager: after the client's own
/// jobs it is exact at once; after changes made behind its back (systemctl, a killed process, a
/// reload that unloads a unit, a re-executed manager) it converges on what systemd reports.
@Suite(.serialized, .enabled(if: canStartManagers, "needs root and /lib/systemd/systemd"))
struct UnitStateCacheTests {
    typealias Manager = DBusSystemdClientTests

    /// Waits until `condition` holds. The bound (a minute) only keeps a broken cache from hanging the
    /// run; a loaded machine (a sanitizer, other managers) may need seconds, and the wait ends at once.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// What systemd answers right now, through a client without a cache.
    static func fresh(_ manager: EmbeddedManager) async throws -> [UnitListing] {
        let plain = DBusSystemdClient(handle: manager.handle)
        do {
            let listed = try await plain.listUnits(matching: "berth-uc-*.service")
            await plain.close()
            return listed.sorted { $0.name < $1.name }
        } catch {
            await plain.close()
            throw error
        }
    }

    /// Whether the cache is ready and lists exactly what systemd lists now.
    static func agrees(_ cache: UnitStateCache, _ manager: EmbeddedManager) async throws -> Bool {
        guard let cached = cache.listing() else { return false }
        let systemd = try await fresh(manager)
        return cached.sorted { $0.name < $1.name } == systemd
    }

    /// The UnitNew signals that name `unit`, collected from now on until `stop()`.
    final class Announcements: Sendable {
        private let names = Lock<[String]>([])
        private let task: Task<Void, Never>

        init(_ unit: String, _ signals: DBusMessages) {
            let names = self.names
            task = Task {
                for await message in signals where message.member == "UnitNew" && message.body.first?.stringValue == unit {
                    names.withLock { $0.append("\(message.member ?? "?") \(message.path ?? "?")") }
                }
            }
        }

        func seen() -> [String] { names.withLock { $0 } }
        func stop() { task.cancel() }
    }

    static func announcements(of unit: String, on client: DBusSystemdClient) async throws -> Announcements {
        Announcements(unit, try await client.bus().connection.messages(matching: DBusMatchRule(type: .signal)))
    }

    @Test func theCacheFollowsJobsSignalsAndReconnects() async throws {
        try await Manager.withManager { manager, _ in
            let cache = UnitStateCache(prefix: "berth-uc-")
            let client = DBusSystemdClient(handle: manager.handle, cache: cache)
            for name in ["a", "b", "c"] {
                try Manager.writeUnit(manager, "berth-uc-\(name).service", "[Service]\nExecStart=/bin/sleep 300\n")
            }
            try Manager.writeUnit(manager, "other-uc.service", "[Service]\nExecStart=/bin/sleep 300\n")
            try await client.daemonReload()
            #expect(try await Self.eventually { cache.isReady }, "the snapshot of the first connection")
            #expect(cache.listing() == [], "no unit of the pattern is loaded yet")

            // The client's own job: the listing reflects it as soon as the call returns.
            try await client.start("berth-uc-a.service")
            let listed = try await client.listUnits(matching: "berth-uc-*.service")
            #expect(listed == [UnitListing(name: "berth-uc-a.service", loadState: "loaded", activeState: "active", subState: "running")])
            let pid = try await client.show(["berth-uc-a.service"], properties: ["MainPID"])["berth-uc-a.service"]?["MainPID"]
            #expect(pid == (try await Manager.witness(manager, "berth-uc-a.service", "MainPID")) && pid != "0")

            // Behind its back: systemctl starts b and another unit the cache does not cover.
            #expect(try await Manager.systemctl(manager, ["start", "berth-uc-b.service", "other-uc.service"]).succeeded)
            #expect(try await Self.eventually { try await Self.agrees(cache, manager) })
            #expect(cache.listing()?.contains { $0.name == "other-uc.service" } == false)
            let bPID = try await Manager.witness(manager, "berth-uc-b.service", "MainPID")
            #expect(try await Self.eventually { cache.states(["berth-uc-b.service"])?["berth-uc-b.service"]??.mainPID.description == bPID })

            // A crash: the main process killed; systemd marks the unit failed and the cache follows.
            #expect(kill(try #require(pid_t(bPID)), SIGKILL) == 0)
            #expect(try await Self.eventually {
                let b = cache.states(["berth-uc-b.service"])?["berth-uc-b.service"] ?? nil
                return b?.activeState == "failed" && b?.mainPID == 0
            })
            #expect(try await Manager.witness(manager, "berth-uc-b.service", "ActiveState") == "failed")

            // Stopped, failure reset and reloaded: systemd unloads the unused units (UnitRemoved).
            try await client.stop("berth-uc-a.service", wait: true)
            try await client.resetFailed("berth-uc-b.service")
            try await client.daemonReload()
            let unloaded = try await Self.eventually { try await Self.agrees(cache, manager) }
            let systemdNow = try await Self.fresh(manager)
            #expect(unloaded, "cache \(cache.listing() ?? []) vs systemd \(systemdNow)")

            // A unit loaded without a job (systemd announces it with UnitNew, no PropertiesChanged).
            // Following it must not load it again: a GetAll by path would, and systemd, unloading the
            // unused unit, would announce it anew, round and round. So: once systemd has unloaded it
            // (its garbage collection, soon after the call) and the cache agrees, nothing may load it
            // again. The watch starts before the call, so no announcement is missed; what other units
            // do meanwhile (a late backlog on a busy machine) does not count.
            let c = "berth-uc-c.service"
            let watch = try await Self.announcements(of: c, on: client)
            _ = try await client.show([c], properties: ["LoadState"])
            let cUnloaded = try await Self.eventually {
                guard try await !Self.fresh(manager).contains(where: { $0.name == c }) else { return false }
                return try await Self.agrees(cache, manager)
            }
            #expect(cUnloaded, "systemd unloads the unused unit and the cache follows: \(cache.listing() ?? [])")
            let seenWhenUnloaded = watch.seen()
            // A loop loads it again within milliseconds of each unload; a second's watch sees several rounds.
            try await Task.sleep(for: .seconds(1))
            let after = watch.seen()
            watch.stop()
            #expect(after == seenWhenUnloaded, "announcements of \(c) after it was unloaded: \(after.dropFirst(seenWhenUnloaded.count))")
            let listedAfter = try await Self.fresh(manager)
            #expect(!listedAfter.contains { $0.name == c }, "nothing loaded it again: \(listedAfter)")

            // Re-executed manager: the connection drops, the next call reconnects and re-snapshots.
            #expect(try await Manager.systemctl(manager, ["start", "berth-uc-a.service"]).succeeded)
            #expect(try await Manager.systemctl(manager, ["daemon-reexec"]).succeeded)
            try await client.daemonReload()
            #expect(try await Self.eventually { try await Self.agrees(cache, manager) })
            #expect(cache.listing()?.contains { $0.name == "berth-uc-a.service" && $0.activeState == "active" } == true)
            await client.close()
        }
    }

    /// What systemd says of a unit's last run (Result, ExecMainCode/Status, NRestarts, StateChangeTimestamp),
    /// through `systemctl show` (its own process, no cache).
    static func witnessedFacts(_ manager: EmbeddedManager, _ unit: String) async throws -> [String] {
        var out: [String] = []
        for property in ["Result", "ExecMainCode", "ExecMainStatus", "NRestarts"] {
            out.append(try await Manager.witness(manager, unit, property))
        }
        return out
    }

    static func facts(_ state: UnitState?) -> [String]? {
        state.map { [$0.result, "\($0.exitCode)", "\($0.exitStatus)", "\($0.restarts)"] }
    }

    /// A service's facts follow systemd's: an exit status, a kill, a restart by its policy, each with
    /// the time its state changed; a second cache (a restarted node's, on a new connection) reads the
    /// same from its snapshot alone.
    @Test func theCacheKeepsWhyEachServiceStopped() async throws {
        try await Manager.withManager { manager, _ in
            let cache = UnitStateCache(prefix: "berth-uc-")
            let client = DBusSystemdClient(handle: manager.handle, cache: cache)
            try Manager.writeUnit(manager, "berth-uc-exit.service", "[Service]\nExecStart=/bin/sh -c 'exit 3'\n")
            try Manager.writeUnit(manager, "berth-uc-kill.service", "[Service]\nExecStart=/bin/sleep 300\n")
            try Manager.writeUnit(manager, "berth-uc-loop.service",
                                  "[Unit]\nStartLimitBurst=3\nStartLimitIntervalSec=300\n[Service]\nExecStart=/bin/sh -c 'exit 4'\nRestart=on-failure\nRestartSec=50ms\n")
            try await client.daemonReload()
            #expect(try await Self.eventually { cache.isReady })

            // Exit 3: the job succeeds (Type=simple), then the unit fails.
            try await client.start("berth-uc-exit.service")
            #expect(try await Self.eventually { (try await client.unitState("berth-uc-exit.service"))?.activeState == "failed" })
            let exited = try await client.unitState("berth-uc-exit.service")
            #expect(Self.facts(exited) == ["exit-code", "1", "3", "0"])
            #expect(Self.facts(exited) == (try await Self.witnessedFacts(manager, "berth-uc-exit.service")))
            #expect((exited?.stateChanged ?? 0) > 0)

            // SIGKILL of the main process: result signal, CLD_KILLED with the signal's number; its state
            // changed later than when it started.
            try await client.start("berth-uc-kill.service")
            let running = try #require(try await client.unitState("berth-uc-kill.service"))
            #expect(running.result == "success" && running.exitCode == 0 && running.mainPID != 0)
            #expect(kill(pid_t(running.mainPID), SIGKILL) == 0)
            #expect(try await Self.eventually { (try await client.unitState("berth-uc-kill.service"))?.activeState == "failed" })
            let killed = try await client.unitState("berth-uc-kill.service")
            #expect(Self.facts(killed) == ["signal", "2", "\(SIGKILL)", "0"])
            #expect((killed?.stateChanged ?? 0) > running.stateChanged)

            // Restarted by its policy until its start limit: NRestarts counts, and the crash loop ends
            // failed (it stays loaded; systemd keeps the last run's result, exit-code).
            try await client.start("berth-uc-loop.service")
            #expect(try await Self.eventually {
                let looped = try await client.unitState("berth-uc-loop.service")
                return looped?.activeState == "failed" && (looped?.restarts ?? 0) >= 2
            })
            let looped = try await client.unitState("berth-uc-loop.service")
            #expect(Self.facts(looped) == (try await Self.witnessedFacts(manager, "berth-uc-loop.service")))
            #expect(looped?.result == "exit-code" && looped?.exitStatus == 4, "\(String(describing: looped))")

            // A new cache on a new connection: the same facts from its snapshot alone.
            let second = UnitStateCache(prefix: "berth-uc-")
            let other = DBusSystemdClient(handle: manager.handle, cache: second)
            _ = try await other.listUnits(matching: "nothing-*.service")  // connects
            #expect(try await Self.eventually { second.isReady })
            let units = ["berth-uc-exit.service", "berth-uc-kill.service", "berth-uc-loop.service"]
            let first = try #require(cache.states(units)), again = try #require(second.states(units))
            for unit in units {
                #expect(again[unit] == first[unit], "\(unit): \(String(describing: again[unit])) vs \(String(describing: first[unit]))")
                #expect(Self.facts(again[unit] ?? nil) == (try await Self.witnessedFacts(manager, unit)), "\(unit)")
            }
            await other.close()
            await client.close()
        }
    }

    /// A daemon-reload unloads and reloads every unit (UnitRemoved, then UnitNew, for each). Right after
    /// each reload returns, the running units are still running in the cache, with their main PIDs:
    /// a list made just after changing another container's unit never shows them inactive; and
    /// afterwards the cache agrees with systemd.
    @Test func runningUnitsStayListedThroughReloads() async throws {
        try await Manager.withManager { manager, _ in
            let cache = UnitStateCache(prefix: "berth-uc-")
            let client = DBusSystemdClient(handle: manager.handle, cache: cache)
            let names = (0..<8).map { "berth-uc-r\($0).service" }
            for name in names { try Manager.writeUnit(manager, name, "[Service]\nExecStart=/bin/sleep 300\n") }
            try await client.daemonReload()
            #expect(try await Self.eventually { cache.isReady })
            for name in names { try await client.start(name) }
            #expect(try await Self.eventually { try await Self.agrees(cache, manager) })
            let pids = try await client.unitStates(matching: "berth-uc-*.service").mapValues(\.mainPID)
            // Another reader lists all the while (what `berth ps` does while an install reloads).
            let watcher = Task { () -> (looks: Int, misses: [String]) in
                var looks = 0
                var misses: [String] = []
                while !Task.isCancelled {
                    if let states = cache.loadedStates() {
                        looks += 1
                        for name in names where states[name]?.activeState != "active" || states[name]?.mainPID != pids[name] {
                            misses.append("\(name): \(states[name].map { "\($0)" } ?? "not listed")")
                        }
                    }
                    try? await Task.sleep(for: .microseconds(200))
                }
                return (looks, misses)
            }
            for round in 0..<5 {
                try await client.daemonReload()
                let states = try await client.unitStates(matching: "berth-uc-*.service")
                for name in names {
                    #expect(states[name]?.activeState == "active", "round \(round): \(name) is \(states[name].map { "\($0)" } ?? "not listed")")
                    #expect(states[name]?.mainPID == pids[name])
                }
            }
            watcher.cancel()
            let (looks, misses) = await watcher.value
            #expect(looks > 50, "the watcher looked \(looks) times")
            #expect(misses.isEmpty, "during reloads the cache lost running units \(misses.count) times, first: \(misses.first ?? "")")
            #expect(try await Self.eventually { try await Self.agrees(cache, manager) })
            await client.close()
        }
    }
}
