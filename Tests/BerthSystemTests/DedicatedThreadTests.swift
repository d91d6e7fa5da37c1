#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

/// Runs each job at once, on the thread that enqueues it: a task preferring it continues inside
/// the `resume` that woke it, so it sees exactly what the resuming thread still holds at that moment.
private final class InlineExecutor: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) { job.runSynchronously(on: asUnownedTaskExecutor()) }
}

private final class Owned: Sendable {}

extension SystemTests {
    @Suite struct DedicatedThreadTests {
        /// What the body captured is released on the thread before the caller resumes, so what it owned
        /// is gone when `run` returns (ProcessRunner's cancellation eventfd is closed by such a deinit).
        /// The caller here resumes inside the thread's `resume` (InlineExecutor), so a thread that let go
        /// of the body only after resuming, as it did, still holds it when the caller looks: no timing.
        @Test func whatTheBodyCapturedIsReleasedBeforeTheCallerResumes() async throws {
            let unique = await Task(executorPreference: InlineExecutor()) { () -> Bool in
                var owned = Owned()
                // The pause makes the caller suspend before the body ends, so the resume wakes it.
                _ = try? await DedicatedThread.run { [owned] in usleep(20_000); _ = owned }
                return isKnownUniquelyReferenced(&owned)
            }.value
            #expect(unique, "the thread still held the body's captures when the caller resumed")
        }
    }
}
