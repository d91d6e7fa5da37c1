/// Runs `body` and returns its value, unless `timeout` passes first: then `body` is cancelled and
/// `timedOut()` is thrown. The one deadline race of the project (connects, D-Bus calls, job waits,
/// waits for a mirror to catch up), so each caller says only what a timeout means to it.
///
/// `body` must end when cancelled (the race returns only after both sides have ended), and its
/// errors are thrown as they are. Cancelling the caller cancels `body` and the timer alike.
public func withTimeout<R: Sendable>(_ timeout: Duration, orThrow timedOut: @escaping @Sendable () -> any Error,
                                     _ body: @escaping @Sendable () async throws -> R) async throws -> R {
    try await withThrowingTaskGroup(of: TimeoutOutcome<R>.self) { group in
        group.addTask { .finished(try await body()) }
        group.addTask {
            try await Task.sleep(for: timeout)
            return .timedOut
        }
        // The first side to end decides; the other is cancelled (a cancelled timer throws, and that
        // throw is dropped with the group).
        let first = try await group.next()!
        group.cancelAll()
        switch first {
        case .finished(let value): return value
        case .timedOut: throw timedOut()
        }
    }
}

/// Which side of `withTimeout`'s race ended first (a value of its own, so a body returning an
/// optional is never mistaken for the timer).
enum TimeoutOutcome<R: Sendable>: Sendable {
    case finished(R)
    case timedOut
}
