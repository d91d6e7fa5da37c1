import Testing
@testable import BerthSystem

extension SystemTests {
    /// `withTimeout`, the one deadline race: the body's value or error when it ends first, the
    /// caller's error (and the body cancelled) when the deadline comes first.
    @Suite struct TimeoutTests {
        struct Late: Error, Equatable {}
        struct Broken: Error, Equatable {}

        @Test func returnsTheBodysValue() async throws {
            let value = try await withTimeout(.seconds(60), orThrow: { Late() }) { 42 }
            #expect(value == 42)
        }

        /// A body that returns nil is a value, not a timeout.
        @Test func anOptionalBodyReturningNilIsNotATimeout() async throws {
            let value: Int? = try await withTimeout(.seconds(60), orThrow: { Late() }) { nil }
            #expect(value == nil)
        }

        @Test func throwsTheBodysError() async {
            await #expect(throws: Broken()) {
                try await withTimeout(.seconds(60), orThrow: { Late() }) { () async throws -> Int in throw Broken() }
            }
        }

        /// A body that never ends on its own: the caller's error is thrown, and the body saw its
        /// cancellation (the race returns only once both sides ended).
        @Test func aBodyOutlastingTheDeadlineIsCancelledAndTheCallersErrorThrown() async {
            let cancelled = Lock(false)
            await #expect(throws: Late()) {
                try await withTimeout(.milliseconds(20), orThrow: { Late() }) { () async throws -> Int in
                    do { try await Task.sleep(for: .seconds(3600)) } catch { cancelled.withLock { $0 = true } }
                    return 0
                }
            }
            #expect(cancelled.withLock { $0 })
        }

        /// Cancelling the caller ends the race at once with the body's own answer to cancellation.
        @Test func cancellingTheCallerCancelsTheBody() async {
            let task = Task {
                try await withTimeout(.seconds(3600), orThrow: { Late() }) { () async throws -> Int in
                    try await Task.sleep(for: .seconds(3600))
                    return 0
                }
            }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }
}
