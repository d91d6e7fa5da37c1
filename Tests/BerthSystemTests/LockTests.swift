import Testing
@testable import BerthSystem

/// `Lock` is the project's one lock. Its point is that ThreadSanitizer sees it: run under
/// `Scripts/test --sanitize thread`, `threadsCountingUnderTheLock` is the program that TSan reported
/// as a race with `Synchronization.Mutex` (whose futex it does not see) and must stay silent now.
@Suite struct LockTests {
    @Test func threadsCountingUnderTheLock() async throws {
        let counter = Lock(0)
        let threads = 4, rounds = 10_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<threads {
                // Threads of their own: the cooperative pool may have only two, and a real
                // contention needs threads that run at the same time.
                group.addTask {
                    try await DedicatedThread.run(name: "lock-test-\(t)") {
                        for _ in 0..<rounds { counter.withLock { $0 += 1 } }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(counter.withLock { $0 } == threads * rounds)
    }

    @Test func errorsPassThroughAndReleaseTheLock() {
        struct Refused: Error {}
        let lock = Lock([Int]())
        #expect(throws: Refused.self) {
            try lock.withLock { (value: inout [Int]) throws(Refused) in
                value.append(1)
                throw Refused()
            }
        }
        // The lock was released on the throwing path: taking it again does not deadlock, and the
        // change made before the throw stays, as with `Mutex`.
        #expect(lock.withLock { $0 } == [1])
    }

    @Test func holdsNoncopyableValues() {
        struct Token: ~Copyable { var uses = 0 }
        let lock = Lock(Token())
        lock.withLock { $0.uses += 1 }
        #expect(lock.withLock { $0.uses } == 1)
    }
}
