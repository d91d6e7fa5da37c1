import BerthSystem

/// Serializes writes to one connection (it allows one writer at a time) and coalesces: bytes queued
/// while a write is under way go out together in the next one. `send` returns once its bytes were
/// handed to the kernel (or the connection failed), so a client that stops reading stops the
/// connection's reader and handlers too: memory stays bounded.
actor ResponseWriter {
    nonisolated let connection: Connection
    private var pending: [UInt8] = []
    private var writing = false
    /// A write is under way (for tests).
    var isWriting: Bool { writing }
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var failed = false

    init(_ connection: Connection) { self.connection = connection }

    func send(_ bytes: [UInt8]) async {
        guard !failed, !bytes.isEmpty else { return }
        pending.append(contentsOf: bytes)
        if writing {
            await withCheckedContinuation { waiters.append($0) }
            return
        }
        writing = true
        while !pending.isEmpty && !failed {
            let chunk = pending
            pending = []
            let done = waiters
            waiters = []
            do {
                try await connection.write(chunk)
            } catch {
                failed = true
            }
            for w in done { w.resume() }
        }
        pending = []
        let rest = waiters
        waiters = []
        for w in rest { w.resume() }
        writing = false
    }

    /// Sends `bytes` as the connection's last word if the kernel takes them now, then closes it.
    /// Never waits: the peer may not be reading. Skipped while a write is under way, whose line
    /// may be half sent (the peer would get a mangled line).
    func closeWithLastWord(_ bytes: [UInt8]) {
        if !writing && !failed { _ = try? connection.writeWithoutWaiting(bytes) }
        failed = true
        connection.close()
    }
}
