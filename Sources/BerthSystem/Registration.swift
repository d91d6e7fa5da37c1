#if canImport(Glibc)
import Glibc
#endif
import CBerthShims
import Synchronization

/// A descriptor registered with an `EventLoop`: its readiness, the (at most one) task waiting to read
/// and to write, and the descriptor's lifetime.
///
/// Readiness protocol (edge-triggered): before each non-blocking syscall the task clears the direction's
/// `ready` flag; the loop sets it on every edge. A task that got EAGAIN parks only if the flag is still
/// clear, so an edge that arrived between the syscall and the park is never lost.
///
/// Lifetime: operations bracket their syscalls with `enter`/`leave`. `close` fails the waiters at once,
/// but the descriptor is closed only when the last operation leaves, so a concurrent syscall never
/// runs on a number the kernel has already reused.
final class Registration: Sendable {
    enum Direction: Sendable { case read, write }

    let id: UInt64
    let fd: CInt
    private let loop: EventLoop
    private let onReadable: (@Sendable () -> Void)?
    private let state = Lock(State())
    /// Numbers each wait, so a cancellation handler only ever resumes its own wait's continuation.
    private let tickets = Atomic<UInt64>(0)

    fileprivate struct State {
        var readable = true
        var writable = true
        /// The loop reported the peer's end of stream (EPOLLRDHUP) or an error: sticky, as no edge
        /// follows. Not EPOLLHUP alone: a socket registered before `connect` reports it while unconnected.
        var hungUp = false
        var reader: UnsafeContinuation<Void, any Error>?
        var writer: UnsafeContinuation<Void, any Error>?
        var readerTicket: UInt64 = 0
        var writerTicket: UInt64 = 0
        var closing = false
        var loopStopped = false
        var released = false
        var users = 0
    }

    init(id: UInt64, fd: CInt, loop: EventLoop, onReadable: (@Sendable () -> Void)?) {
        self.id = id
        self.fd = fd
        self.loop = loop
        self.onReadable = onReadable
    }

    var isClosed: Bool { state.withLock { $0.closing } }

    /// Whether the loop has reported the peer's end of stream (or an error) at any time: a reader
    /// cannot count on another edge after that.
    var peerHungUp: Bool { state.withLock { $0.hungUp } }

    /// Starts an operation; throws `closed` once `close` was called.
    func enter() throws {
        try state.withLock { s in
            if s.closing { throw SocketError(.closed, "the socket is closed") }
            s.users += 1
        }
    }

    /// Ends an operation, closing the descriptor if `close` came meanwhile and this was the last one.
    func leave() {
        let release = state.withLock { s in
            s.users -= 1
            return s.closing && s.users == 0 && !s.released ? s.markReleased() : false
        }
        if release { releaseDescriptor() }
    }

    /// Runs `body` with the descriptor held open.
    func withDescriptor<R>(_ body: (CInt) throws -> R) throws -> R {
        try enter()
        defer { leave() }
        return try body(fd)
    }

    func clear(_ direction: Direction) {
        state.withLock { s in
            switch direction {
            case .read: s.readable = false
            case .write: s.writable = false
            }
        }
    }

    /// Suspends until the loop reports the direction ready (or it already was since the last `clear`).
    /// Throws `CancellationError` when the task is cancelled and `SocketError.closed` when the socket
    /// is closed meanwhile; the socket itself stays usable after a cancellation.
    func wait(_ direction: Direction) async throws {
        let ticket = tickets.add(1, ordering: .relaxed).newValue
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let failure: (any Error)?? = state.withLock { s -> (any Error)?? in
                    if s.closing || s.loopStopped { return .some(SocketError(.closed, "the socket is closed")) }
                    let ready = direction == .read ? s.readable : s.writable
                    if ready { return .some(nil) }
                    if (direction == .read ? s.reader : s.writer) != nil {
                        return .some(SocketError(.concurrentOperation, "another task is already waiting to \(direction) on this socket"))
                    }
                    if Task.isCancelled { return .some(CancellationError()) }
                    if direction == .read {
                        s.reader = continuation
                        s.readerTicket = ticket
                    } else {
                        s.writer = continuation
                        s.writerTicket = ticket
                    }
                    return .none
                }
                switch failure {
                case .none: break  // parked: the loop, close or cancellation resumes it
                case .some(.none): continuation.resume()
                case .some(.some(let error)): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> UnsafeContinuation<Void, any Error>? in
                switch direction {
                case .read where s.readerTicket == ticket: defer { s.reader = nil }; return s.reader
                case .write where s.writerTicket == ticket: defer { s.writer = nil }; return s.writer
                default: return nil
                }
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Called on the loop thread for every event of this descriptor.
    func handle(events: UInt32) {
        let readEvents = BERTH_EPOLLIN | BERTH_EPOLLRDHUP | BERTH_EPOLLHUP | BERTH_EPOLLERR
        let writeEvents = BERTH_EPOLLOUT | BERTH_EPOLLHUP | BERTH_EPOLLERR
        let (reader, writer) = state.withLock { s in
            var reader: UnsafeContinuation<Void, any Error>?
            var writer: UnsafeContinuation<Void, any Error>?
            if events & (BERTH_EPOLLRDHUP | BERTH_EPOLLERR) != 0 { s.hungUp = true }
            if events & readEvents != 0 {
                s.readable = true
                reader = s.reader
                s.reader = nil
            }
            if events & writeEvents != 0 {
                s.writable = true
                writer = s.writer
                s.writer = nil
            }
            return (reader, writer)
        }
        reader?.resume()
        writer?.resume()
        if events & readEvents != 0, let onReadable { onReadable() }
    }

    /// Fails the waiters now and closes the descriptor once no operation uses it. Idempotent.
    func close() {
        let (reader, writer, release) = state.withLock { s in
            if s.closing { return (nil, nil, false) as (UnsafeContinuation<Void, any Error>?, UnsafeContinuation<Void, any Error>?, Bool) }
            s.closing = true
            defer { s.reader = nil; s.writer = nil }
            return (s.reader, s.writer, s.users == 0 ? s.markReleased() : false)
        }
        let error = SocketError(.closed, "the socket was closed while waiting")
        reader?.resume(throwing: error)
        writer?.resume(throwing: error)
        if release { releaseDescriptor() }
    }

    /// The loop is gone: nothing will ever wake a waiter again, so fail them.
    func loopStopped() {
        let (reader, writer) = state.withLock { s in
            s.loopStopped = true
            defer { s.reader = nil; s.writer = nil }
            return (s.reader, s.writer)
        }
        let error = SocketError(.closed, "the event loop has stopped")
        reader?.resume(throwing: error)
        writer?.resume(throwing: error)
    }

    private func releaseDescriptor() {
        loop.deregister(self)
        Glibc.close(fd)
    }
}

private extension Registration.State {
    mutating func markReleased() -> Bool {
        released = true
        return true
    }
}
