#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

@Suite struct FileLockTests {
    /// The node's claim on its run directory: taken at once or refused at once, never waited for,
    /// and seen by other processes (flock(1) stands in for a second berthd).
    @Test func holdUntilExitRefusesASecondHolderWithoutWaiting() async throws {
        let dir = "/tmp/berth-lock-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.createDirectory(dir, mode: 0o700)
        defer { try? FileSystem.removeTree(dir) }
        let path = "\(dir)/berthd.lock"
        let free = try await ProcessRunner.run(ProcessRequest("/usr/bin/flock", ["-n", path, "true"], timeout: .seconds(10)))
        #expect(free.succeeded, "nobody holds it yet")
        #expect(try FileLock.holdUntilExit(path: path))
        #expect(try FileLock.holdUntilExit(path: path) == false, "a second open file description is refused")
        let held = try await ProcessRunner.run(ProcessRequest("/usr/bin/flock", ["-n", path, "true"], timeout: .seconds(10)))
        #expect(!held.succeeded, "another process cannot take it either")
    }
}
