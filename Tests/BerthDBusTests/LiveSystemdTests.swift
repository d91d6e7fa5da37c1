#if canImport(Glibc)
import Glibc
#endif
import BerthSystem
import Testing
@testable import BerthDBus
@testable import BerthSystemd

extension SerializedTests {
    @Suite struct Systemd {
        static let sleeper = "[Unit]\nDescription=berth dbus test sleeper\n[Service]\nExecStart=/bin/sleep 300\n"

        @Test func startQueryAndStopAUnitOverTheBus() async throws {
            try await PrivateManager.with { manager in
                try manager.writeUnit("berth-sleep.service", Self.sleeper)
                let bus = try await SystemdManagerBus.connectPrivate(runtimeDirectory: manager.runtimeDirectory)
                defer { bus.connection.close() }
                #expect(bus.connection.serverGUID.utf8.count == 32)
                try await bus.subscribe()
                try await bus.reload()

                let started = try await bus.runJob(.start, unit: "berth-sleep.service", timeout: .seconds(30))
                #expect(started.result == "done")
                #expect(started.unit == "berth-sleep.service")

                let properties = try await bus.unitProperties("berth-sleep.service")
                #expect(properties.activeState == "active")
                #expect(properties.subState == "running")
                #expect(properties.loadState == "loaded")
                #expect(properties.result == "success")
                let mainPID = try #require(properties.mainPID)
                #expect(mainPID > 0)

                // systemctl, a separate client on its own connection, must see the same process.
                let shown = try await manager.systemctl(["show", "-p", "ActiveState,MainPID", "berth-sleep.service"])
                #expect(shown.succeeded, "\(shown.stderrText)")
                let lines = Set(shown.stdoutText.split(separator: "\n").map(String.init))
                #expect(lines == ["ActiveState=active", "MainPID=\(mainPID)"])
                let comm = try FileSystem.read("/proc/\(mainPID)/comm")
                #expect(String(decoding: comm, as: UTF8.self) == "sleep\n")

                let path = try await bus.getUnit("berth-sleep.service")
                #expect(path == SystemdPath.unitPath("berth-sleep.service"))
                let listed = try await bus.listUnitsByPatterns(patterns: ["berth-sleep*"])
                #expect(listed.map(\.name) == ["berth-sleep.service"])
                #expect(listed.first?.activeState == "active")
                #expect(listed.first?.unitPath == path)

                // Stopping must show up as PropertiesChanged to inactive on the unit's own object.
                let changes = bus.unitStateChanges()
                let stopped = try await bus.runJob(.stop, unit: "berth-sleep.service", timeout: .seconds(30))
                #expect(stopped.result == "done")
                let seen = try await within(.seconds(10), "PropertiesChanged to inactive") {
                    var seen: [String] = []
                    for await change in changes where change.unit == "berth-sleep.service" {
                        if let state = change.activeState { seen.append(state) }
                        if change.activeState == "inactive" && change.interface == SystemdInterface.unit { break }
                    }
                    return seen
                }
                #expect(seen.last == "inactive", "active states seen: \(seen)")
                let after = try await bus.unitProperties("berth-sleep.service")
                #expect(after.activeState == "inactive")
                #expect(after.mainPID == 0)
            }
        }

        /// systemd answers `Peer.Ping` on its private socket, and by the time the answer is in, the
        /// unit's PropertiesChanged for a start whose job ended is counted as delivered (what
        /// `EventHub.catchUp` relies on: systemd flushes a unit's change signals before JobRemoved).
        @Test func aPingAnswerFollowsTheSignalsOfAFinishedStart() async throws {
            try await PrivateManager.with { manager in
                try manager.writeUnit("berth-ping.service", Self.sleeper)
                let watcher = try await SystemdManagerBus.connectPrivate(runtimeDirectory: manager.runtimeDirectory)
                let actor = try await SystemdManagerBus.connectPrivate(runtimeDirectory: manager.runtimeDirectory)
                defer { watcher.connection.close(); actor.connection.close() }
                let path = try await actor.loadUnit("berth-ping.service")
                let changes = watcher.connection.subscription(matching: DBusMatchRule(
                    interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged", path: path))
                try await watcher.subscribe()
                #expect(changes.delivered == 0)
                // Started on the other connection, as the engine does while the event hub watches.
                #expect(try await actor.runJob(.start, unit: "berth-ping.service", timeout: .seconds(30)).result == "done")
                _ = try await watcher.connection.call(path: SystemdPath.manager, interface: "org.freedesktop.DBus.Peer", member: "Ping")
                let counted = changes.delivered
                #expect(counted > 0)
                var sawActive = false
                var taken = 0
                for await message in changes.messages {
                    taken += 1
                    if message.body.count == 3, let changed = message.body[1].stringDictValue,
                       changed["ActiveState"]?.unwrapped.stringValue == "active" { sawActive = true }
                    if taken == counted { break }
                }
                #expect(sawActive, "the unit's change to active is among the signals counted before the ping's answer")
                _ = try await actor.runJob(.stop, unit: "berth-ping.service", timeout: .seconds(30))
            }
        }

        @Test func restartGivesANewProcessAndWaitsReleaseTheirStreams() async throws {
            try await PrivateManager.with { manager in
                try manager.writeUnit("berth-restart.service", Self.sleeper)
                let bus = try await SystemdManagerBus.connectPrivate(runtimeDirectory: manager.runtimeDirectory)
                defer { bus.connection.close() }
                try await bus.subscribe()
                try await bus.reload()
                let jobs = bus.jobRemovedEvents()
                let baseline = bus.connection.core.subscriberCount
                #expect(try await bus.runJob(.start, unit: "berth-restart.service").result == "done")
                let first = try #require(try await bus.unitProperties("berth-restart.service").mainPID)
                #expect(try await bus.runJob(.restart, unit: "berth-restart.service").result == "done")
                let second = try #require(try await bus.unitProperties("berth-restart.service").mainPID)
                #expect(first > 0 && second > 0 && first != second)
                // The plain job call returns a job path; its JobRemoved shows up on the general stream.
                let job = try await bus.stopUnit("berth-restart.service")
                #expect(job.hasPrefix("/org/freedesktop/systemd1/job/"))
                let results = try await within(.seconds(10), "JobRemoved for \(job)") {
                    var results: [String: String] = [:]
                    for await removed in jobs where removed.unit == "berth-restart.service" {
                        results[removed.jobPath] = removed.result
                        if removed.jobPath == job { break }
                    }
                    return results
                }
                #expect(results.count == 3)
                #expect(results[job] == "done")
                // runJob's own signal streams end with it; nothing accumulates per job.
                #expect(bus.connection.core.subscriberCount == baseline)
                #expect(bus.connection.core.pendingCount == 0)
            }
        }

        @Test func linkedUnitFilesLoadAfterReload() async throws {
            try await PrivateManager.with { manager in
                let outside = manager.directory + "/berth-linked.service"
                try FileSystem.writeAtomically(Array(Self.sleeper.utf8), to: outside)
                let bus = try await SystemdManagerBus.connectPrivate(runtimeDirectory: manager.runtimeDirectory)
                defer { bus.connection.close() }
                try await bus.subscribe()
                let changes = try await bus.linkUnitFiles([outside])
                #expect(changes.count == 1)
                #expect(changes.first?.type == "symlink")
                #expect(changes.first?.destination == outside)
                try await bus.reload()
                #expect(try await bus.runJob(.start, unit: "berth-linked.service").result == "done")
                #expect(try await bus.unitProperties("berth-linked.service").activeState == "active")
                let bad = await #expect(throws: DBusError.self) { try await bus.linkUnitFiles(["relative/path.service"]) }
                #expect(bad?.name.hasPrefix("org.freedesktop") == true)
            }
        }

        @Test func aFailingUnitGivesAFailedJob() async throws {
            try await PrivateManager.with { manager in
                try manager.writeUnit("berth-false.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n")
                let bus = try await SystemdManagerBus.connectPrivate(runtimeDirectory: manager.runtimeDirectory)
                defer { bus.connection.close() }
                try await bus.subscribe()
                try await bus.reload()
                let job = try await bus.runJob(.start, unit: "berth-false.service", timeout: .seconds(30))
                #expect(job.result == "failed")
                let properties = try await bus.unitProperties("berth-false.service")
                #expect(properties.activeState == "failed")
                #expect(properties.result == "exit-code")
            }
        }

        @Test func unknownUnitsAndMethodsAreDBusErrors() async throws {
            try await PrivateManager.with { manager in
                let bus = try await SystemdManagerBus.connectPrivate(runtimeDirectory: manager.runtimeDirectory)
                defer { bus.connection.close() }
                let error = await #expect(throws: DBusError.self) { try await bus.getUnit("berth-nope.service") }
                #expect(error?.name == "org.freedesktop.systemd1.NoSuchUnit")
                #expect(error?.message.contains("berth-nope.service") == true)
                // Starting a unit with no file: loads as not-found, and the manager refuses the job.
                let start = await #expect(throws: DBusError.self) { try await bus.startUnit("berth-nope.service") }
                #expect(start?.name == "org.freedesktop.systemd1.NoSuchUnit")
                let method = await #expect(throws: DBusError.self) {
                    try await bus.connection.call(path: SystemdPath.manager, interface: SystemdInterface.manager,
                                                  member: "NoSuchMethodHere")
                }
                #expect(method?.name == "org.freedesktop.DBus.Error.UnknownMethod")
                // The connection survives errors.
                let version = try await bus.property(path: SystemdPath.manager, interface: SystemdInterface.manager,
                                                     name: "Version")
                #expect(version.stringValue?.isEmpty == false)
            }
        }

        @Test func closingFailsWaitersAndEndsStreams() async throws {
            try await PrivateManager.with { manager in
                let connection = try await DBusConnection.connect(path: manager.socketPath)
                let stream = connection.messages(matching: DBusMatchRule())
                connection.close()
                var count = 0
                for await _ in stream { count += 1 }
                #expect(count == 0)
                let error = await #expect(throws: DBusError.self) {
                    try await connection.call(path: SystemdPath.manager, interface: nil, member: "Subscribe")
                }
                #expect(error?.name == DBusError.disconnectedName)
            }
        }
    }
}
