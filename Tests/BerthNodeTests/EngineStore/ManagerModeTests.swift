#if canImport(Glibc)
import Glibc
#endif
import Testing
import BerthSystem
@testable import BerthNode

@Suite struct ManagerModeTests {
    /// On a host whose PID 1 is not systemd and without a user manager, the node runs its own.
    @Test func detectionFallsBackToEmbedded() throws {
        let pid1 = String(decoding: try FileSystem.read("/proc/1/comm", limit: 64), as: UTF8.self)
        let mode = ManagerMode.detect(environment: ["XDG_RUNTIME_DIR": "/nonexistent-berth-xdg"])
        if pid1.hasPrefix("systemd") {
            #expect(mode != .embedded || getuid() != 0)
        } else {
            #expect(mode == .embedded)
        }
    }

    @Test func userHandleUsesTheCallersConfigDirectory() {
        let handle = ServiceManagerHandle.user(environment: ["XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/a", "SECRET": "x"])
        #expect(handle.unitDir == "/home/a/.config/systemd/user")
        #expect(handle.userScope)
        #expect(handle.environment["SECRET"] == nil)
        #expect(handle.environment["XDG_RUNTIME_DIR"] == "/run/user/1000")
    }

    @Test func embeddedManagerRefusesUnsafeDirectories() async {
        for bad in ["relative/dir", "/tmp/a b", "/tmp/x;rm", "/tmp/$HOME"] {
            await #expect(throws: ManagerError.self) { _ = try await EmbeddedManager.start(directory: bad) }
        }
    }

    @Test func unitOwnersAreRecognised() {
        #expect(ContainerUnitFiles.owner(ofUnit: "ctr-web.service")?.rawValue == "web")
        #expect(ContainerUnitFiles.owner(ofUnit: "ctr-web@8080.socket")?.rawValue == "web")
        #expect(ContainerUnitFiles.owner(ofUnit: "ctr-web.target") == nil)
        #expect(ContainerUnitFiles.owner(ofUnit: "berth.target") == nil)
    }
}
