import Testing
@testable import BerthNode

/// `--systemd-client` / `systemd-client =`: D-Bus unless told otherwise, and the kind builds its client.
@Suite struct SystemdClientKindTests {
    static func run(_ arguments: [String], files: [String: String] = [:]) throws(ConfigurationError) -> NodeConfiguration? {
        guard case .run(let c) = try NodeConfiguration.parse(arguments: arguments, readFile: { files[$0] }) else { return nil }
        return c
    }

    @Test func dbusIsTheDefaultAndBothKindsParse() throws {
        #expect(try Self.run([])?.systemdClient == .dbus)
        #expect(try Self.run(["--systemd-client", "systemctl"])?.systemdClient == .systemctl)
        let fromFile = try Self.run(["--config", "/etc/x.conf"], files: ["/etc/x.conf": "systemd-client = systemctl\n"])
        #expect(fromFile?.systemdClient == .systemctl)
        let overridden = try Self.run(["--config", "/etc/x.conf", "--systemd-client", "dbus"],
                                      files: ["/etc/x.conf": "systemd-client = systemctl\n"])
        #expect(overridden?.systemdClient == .dbus, "the flag wins over the file")
    }

    @Test func anUnknownKindIsRefusedWithTheChoices() {
        do throws(ConfigurationError) {
            _ = try Self.run(["--systemd-client", "busctl"])
            Issue.record("--systemd-client busctl was accepted")
        } catch {
            #expect(error.message == "--systemd-client must be one of dbus|systemctl, got 'busctl'")
        }
    }

    @Test func eachKindBuildsItsClient() throws {
        let handle = EmbeddedManager.handle(directory: "/tmp/m")
        let dbus = try #require(SystemdClientKind.dbus.client(for: handle) as? DBusSystemdClient)
        #expect(dbus.socketPath == "/tmp/m/xdg/systemd/private" && dbus.cache?.pattern == "ctr-*.service")
        #expect(SystemdClientKind.systemctl.client(for: handle) is SystemctlClient)
    }
}
