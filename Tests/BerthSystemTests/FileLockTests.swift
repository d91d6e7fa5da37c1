#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

@Suite struct FileLockTests {
    /// The node's claim on its run directory: taken at once or refused at once, never waited for,
    /// and seen by other processes (flock(1) stands in for a second berthd).
    @Test func holdUntilExitRefusesASecondHolderWithoutWaiting() async throws {
        let dir = try TemporaryDirectory().path
        defer { try? FileSystem.removeTree(dir) }
        let path = "\(dir)/berthd.lock"
        let free = try await ProcessRunner.run(ProcessRequest("/usr/bin/flock", ["-n", path, "true"], timeout: .seconds(10)))
        #expect(free.succeeded, "nobody holds it yet")
        #expect(try FileLock.holdUntilExit(path: path))
        #expect(try FileLock.holdUntilExit(path: path) == false, "a second open file description is refused")
        let held = try await ProcessRunner.run(ProcessRequest("/usr/bin/flock", ["-n", path, "true"], timeout: .seconds(10)))
        #expect(!held.succeeded, "another process cannot take it either")
    }

    /// The polling form: the descriptor holds the lock until it is closed; meanwhile another try
    /// (another open file description, as another process has) gets nil at once.
    @Test func tryLockHoldsUntilTheDescriptorCloses() async throws {
        let dir = try TemporaryDirectory().path
        defer { try? FileSystem.removeTree(dir) }
        let path = "\(dir)/links.lock"
        let held = try #require(try FileLock.tryLock(path: path))
        #expect(try FileLock.tryLock(path: path) == nil)
        let other = try await ProcessRunner.run(ProcessRequest("/usr/bin/flock", ["-n", path, "true"], timeout: .seconds(10)))
        #expect(!other.succeeded, "another process cannot take it either")
        held.close()
        // flock belongs to the open file description: a child that another test spawns at this
        // moment holds a copy of the descriptor until its exec closes it (O_CLOEXEC), so the lock is
        // free once that copy is gone too. Waited for as a state, bounded.
        var again = try FileLock.tryLock(path: path)
        let deadline = ContinuousClock.now + .seconds(60)  // a guard: the loop ends once it is free
        while again == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            again = try FileLock.tryLock(path: path)
        }
        let freed = try #require(again, "free once closed")
        freed.close()
        #expect(throws: SystemError.self) { try FileLock.tryLock(path: "\(dir)/missing/dir/lock") }
    }
}
