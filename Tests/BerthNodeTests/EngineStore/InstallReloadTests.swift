import BerthCore
import BerthProtocol
import BerthSystem
import Testing
@testable import BerthNode

/// An install reloads systemd only when systemd holds the container's units loaded from a file:
/// units it does not hold (or holds as not-found) are read from disk on first use.
@Suite struct InstallReloadTests {
    static func engine(_ systemd: CountingSystemd) throws -> (ContainerEngine, String) {
        let root = "/tmp/berth-install-reload-\(UInt32.random(in: 0...UInt32.max))"
        let layout = try Layout(stateDir: root + "/state", runDir: root + "/run", unitDir: root + "/units")
        let handle = ServiceManagerHandle(mode: .embedded, unitDir: root + "/units", environment: [:],
                                          userScope: true, rootTarget: "berth-root.target")
        let configuration = EngineConfiguration(layout: layout, manager: handle, runtime: RuntimeConfiguration(runtime: .podman),
                                                portRange: 42000...42999, durablePorts: false)
        return (ContainerEngine(configuration: configuration, systemd: systemd), root)
    }

    @Test(arguments: [
        ([], 0),
        ([UnitListing(name: "ctr-web.service", loadState: "not-found", activeState: "inactive", subState: "dead")], 0),
        ([UnitListing(name: "ctr-web.service", loadState: "loaded", activeState: "inactive", subState: "dead")], 1),
        ([UnitListing(name: "ctr-web.service", loadState: "bad-setting", activeState: "inactive", subState: "dead")], 1),
    ] as [([UnitListing], Int)])
    func reloadsOnlyWhatSystemdHolds(held: [UnitListing], expected: Int) async throws {
        let systemd = CountingSystemd()
        let (engine, root) = try Self.engine(systemd)
        defer { try? FileSystem.removeTree(root) }
        try await engine.open()
        systemd.held = held
        let before = await engine.reloadCount()
        _ = try await engine.install(ContainerInstallParams(id: "web", image: "localhost/berth-httpd"))
        #expect(await engine.reloadCount() - before == expected)
        #expect(FileSystem.exists(root + "/units/ctr-web.service"))
    }
}
