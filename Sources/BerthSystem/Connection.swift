#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A connected stream socket driven by an `EventLoop`: async reads and writes that suspend the task,
/// never a thread, while the socket is not ready.
///
/// One task may read while another writes; two concurrent reads (or writes) fail with
/// `concurrentOperation`. `close()` (or releasing the last reference) fails pending operations with
/// `SocketError.closed`. Cancelling a task aborts its wait with `CancellationError` and leaves the
/// connection usable.
public final class Connection: Sendable {
    let registration: Registration
    /// The last read was short (see `read`). Only one task reads at a time.
    private let drained = Atomic<Bool>(false)

    /// The default read size: large enough that a pipelined burst arrives in one call.
    public static let defaultReadSize = 64 * 1024

    /// Takes ownership of a connected socket and makes it non-blocking.
    public convenience init(_ socket: Socket, loop: EventLoop = .shared) throws {
        try self.init(socket, loop: loop, nonBlocking: false)
    }

    /// The same for a socket that is non-blocking already (`accept4` with `SOCK_NONBLOCK`): no
    /// `fcntl` to check, one syscall less per accepted connection.
    init(_ socket: Socket, loop: EventLoop, nonBlocking: Bool) throws {
        do {
            if !nonBlocking { try socket.setNonBlocking(true) }
            registration = try loop.register(socket.descriptor.rawValue)
        } catch {
            socket.close()
            throw error
        }
    }

    deinit { registration.close() }

    /// Connects to a Unix or TCP address without blocking a thread, failing with `timedOut` after
    /// `timeout`. The corresponding C function is `connect`.
    public static func connect(to address: SocketAddress, timeout: Duration? = nil,
                               loop: EventLoop = .shared) async throws -> Connection {
        let connection = try Connection(Socket.stream(family: address.family, nonBlocking: true), loop: loop)
        do {
            if let timeout {
                try await withTimeout(timeout, orThrow: { Socket.connectTimeout(address, timeout) }) {
                    try await connection.finishConnect(to: address)
                }
            } else {
                try await connection.finishConnect(to: address)
            }
            return connection
        } catch {
            connection.close()
            throw error
        }
    }

    private func finishConnect(to address: SocketAddress) async throws {
        try registration.enter()
        defer { registration.leave() }
        let socket = Socket(FileDescriptor(rawValue: registration.fd))
        while true {
            registration.clear(.write)
            switch try socket.startConnect(to: address) {
            case .connected:
                return
            case .inProgress:
                try await registration.wait(.write)
                let error = try socket.pendingError()
                guard error == 0 else { throw SystemError("connect", path: address.description, errno: Errno(rawValue: error)) }
                return
            case .retryLater:
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    /// Reads what is available, up to `maximum` bytes, waiting until at least one byte arrives.
    /// An empty result means the peer closed its side (end of stream).
    /// The corresponding C function is `recv`.
    public func read(upTo maximum: Int = Connection.defaultReadSize) async throws -> [UInt8] {
        precondition(maximum > 0, "read size must be positive")
        try registration.enter()
        defer { registration.leave() }
        let socket = Socket(FileDescriptor(rawValue: registration.fd))
        // A short read took everything the kernel had queued, so the next read would most likely
        // get EAGAIN: it waits for the loop's next edge first (at once when one came meanwhile)
        // and saves that syscall, one per request of a request-answer client. Not once the peer's
        // end of stream was reported: it may have come before that read, and no edge follows it.
        if drained.load(ordering: .relaxed) && !registration.peerHungUp { try await registration.wait(.read) }
        while true {
            registration.clear(.read)
            if let bytes = try socket.receive(upTo: maximum) {
                drained.store(!bytes.isEmpty && bytes.count < maximum, ordering: .relaxed)
                return bytes
            }
            try await registration.wait(.read)
        }
    }

    /// Writes every byte, waiting for buffer space as often as needed (so a slow reader slows the
    /// writer down instead of growing memory). Batch many small messages into one call: each call is
    /// at least one syscall. The corresponding C function is `send` (with `MSG_NOSIGNAL`).
    public func write(_ bytes: [UInt8]) async throws {
        try await write(bytes[...])
    }

    /// Writes every byte of a slice; see `write(_:)`.
    public func write(_ bytes: ArraySlice<UInt8>) async throws {
        try registration.enter()
        defer { registration.leave() }
        let socket = Socket(FileDescriptor(rawValue: registration.fd))
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            registration.clear(.write)
            let sent = try bytes[offset...].withUnsafeBytes { try socket.send($0) }
            if let sent {
                offset += sent
            } else {
                try await registration.wait(.write)
            }
        }
    }

    /// Sends what the kernel takes now, without waiting for buffer space; returns how many bytes
    /// went (0 when the buffer is full). For a last word before `close()` to a peer that may not
    /// be reading. The corresponding C function is `send` (with `MSG_NOSIGNAL`).
    public func writeWithoutWaiting(_ bytes: [UInt8]) throws -> Int {
        try registration.withDescriptor { fd in
            try bytes.withUnsafeBytes { try Socket(FileDescriptor(rawValue: fd)).send($0) } ?? 0
        }
    }

    /// Closes the writing side: the peer reads end of stream, and can still answer.
    /// The corresponding C function is `shutdown`.
    public func shutdownWrite() throws {
        try registration.withDescriptor { Socket(FileDescriptor(rawValue: $0)).shutdown(.write) }
    }

    /// The pid, uid and gid of a Unix socket's peer. The corresponding C option is `SO_PEERCRED`.
    public func peerCredentials() throws -> PeerCredentials {
        try registration.withDescriptor { try Socket(FileDescriptor(rawValue: $0)).peerCredentials() }
    }

    /// The address this end is bound to.
    public func localAddress() throws -> SocketAddress {
        try registration.withDescriptor { try Socket(FileDescriptor(rawValue: $0)).localAddress() }
    }

    /// The peer's address (the unnamed `.unix(path: "")` for most Unix clients).
    public func remoteAddress() throws -> SocketAddress {
        try registration.withDescriptor { try Socket(FileDescriptor(rawValue: $0)).remoteAddress() }
    }

    /// Whether `close()` was called.
    public var isClosed: Bool { registration.isClosed }

    /// Fails pending reads and writes with `SocketError.closed` and closes the socket as soon as no
    /// syscall is using it. Idempotent.
    public func close() { registration.close() }
}
