import BerthProtocol
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
    /// Seals everything from `startSealing` on (the secure channel on TCP): each write is one
    /// or more records, sealed here in the order they reach the kernel, so counters follow the wire.
    private var sealer: RecordSealer?

    init(_ connection: Connection) { self.connection = connection }

    /// Every byte sent from now on is sealed.
    func startSealing(_ sealer: RecordSealer) { self.sealer = sealer }

    /// `bytes` as they go on the wire: sealed once the channel is open; nil when the channel's
    /// counter is used up (the connection must end).
    private func wire(_ bytes: [UInt8]) -> [UInt8]? {
        guard sealer != nil else { return bytes }
        return try? sealer!.seal(bytes)
    }

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
                guard let sealed = wire(chunk) else { throw ChannelError.exhausted }
                try await connection.write(sealed)
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
        if !writing && !failed, let sealed = wire(bytes) { _ = try? connection.writeWithoutWaiting(sealed) }
        failed = true
        connection.close()
    }
}
