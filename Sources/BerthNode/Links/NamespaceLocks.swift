/// One apply at a time per network namespace (keyed by PID) in this process: two concurrent jump
/// checks (`-C` fails for both) would otherwise both append, duplicating the jump.
actor NamespaceLocks {
    static let shared = NamespaceLocks()

    private var waiters: [Int32: [CheckedContinuation<Void, Never>]] = [:]
    private var held: Set<Int32> = []

    /// Runs `body` while holding the lock of `pid`; waiters get it in arrival order.
    func withLock<T: Sendable>(_ pid: Int32, _ body: @Sendable () async throws(LinkError) -> T) async throws(LinkError) -> T {
        await acquire(pid)
        defer { release(pid) }
        return try await body()
    }

    private func acquire(_ pid: Int32) async {
        if held.insert(pid).inserted { return }
        await withCheckedContinuation { waiters[pid, default: []].append($0) }
    }

    private func release(_ pid: Int32) {
        if var queue = waiters[pid], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[pid] = queue.isEmpty ? nil : queue
            next.resume()  // the lock passes straight to the next waiter
        } else {
            held.remove(pid)
        }
    }
}
