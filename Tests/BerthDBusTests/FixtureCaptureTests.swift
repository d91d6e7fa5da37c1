#if canImport(Glibc)
import Glibc
#endif
import BerthSystem
import Testing
@testable import BerthDBus
@testable import BerthSystemd

extension SerializedTests {
    /// Records real systemd messages into Fixtures/ when BERTH_DBUS_CAPTURE=1. Run once by hand;
    /// the fixture tests then check decoding and byte-exact re-encoding without a manager.
    @Suite struct Capture {
        @Test(.enabled(if: getenv("BERTH_DBUS_CAPTURE") != nil))
        func captureFixtures() async throws {
            try await PrivateManager.with { manager in
                try manager.writeUnit("berth-capture.service", "[Service]\nExecStart=/bin/sleep 300\n")
                let frames = Lock<[[UInt8]]>([])
                let connection = try await DBusConnection.connect(path: manager.socketPath, bus: false, timeout: .seconds(5),
                                                                  trace: { bytes in frames.withLock { $0.append(bytes) } })
                defer { connection.close() }
                let bus = SystemdManagerBus(connection: connection)
                try await bus.subscribe()
                try await bus.reload()
                func save(_ name: String, where predicate: (DBusMessage) -> Bool) throws {
                    let all = frames.withLock { $0 }
                    let frame = try #require(all.first { (try? DBusMessage(decoding: $0)).map(predicate) ?? false },
                                             "no captured message for \(name)")
                    try FileSystem.writeAtomically(frame, to: fixturesDirectory + "/" + name)
                }
                _ = try await bus.runJob(.start, unit: "berth-capture.service")
                let path = try await bus.getUnit("berth-capture.service")
                _ = try await bus.allProperties(path: path, interface: SystemdInterface.unit)
                _ = try await bus.allProperties(path: path, interface: SystemdInterface.service)
                _ = try await bus.listUnitsByPatterns(patterns: ["berth-*"])
                _ = try? await bus.getUnit("berth-missing.service")
                _ = try await bus.runJob(.stop, unit: "berth-capture.service")
                try await Task.sleep(for: .milliseconds(200))
                try save("jobremoved-signal.bin") { SystemdJobRemoved($0)?.unit == "berth-capture.service" }
                try save("getall-unit-reply.bin") { $0.type == .methodReturn && ($0.body.first?.arrayValue?.count ?? 0) > 50 && $0.body.first?.stringDictValue?["ActiveState"] != nil }
                try save("getall-service-reply.bin") { $0.type == .methodReturn && $0.body.first?.stringDictValue?["MainPID"] != nil }
                try save("listunits-reply.bin") { $0.type == .methodReturn && $0.signature == "a(ssssssouso)" }
                try save("nosuchunit-error.bin") { $0.type == .error }
                try save("propertieschanged-signal.bin") {
                    $0.member == "PropertiesChanged" && $0.path == SystemdPath.unitPath("berth-capture.service")
                        && $0.body.first == .string(SystemdInterface.unit)
                }
            }
        }
    }
}
