#if canImport(Glibc)
import Glibc
#endif

/// A listening socket driven by an `EventLoop`: `accept()` suspends the task until a client connects.
public final class Listener: Sendable {
    let registration: Registration
    private let loop: EventLoop

    /// Takes ownership of a listening socket and makes it non-blocking.
    public init(_ socket: Socket, loop: EventLoop = .shared) throws {
        do {
            try socket.setNonBlocking(true)
            registration = try loop.register(socket.descriptor.rawValue)
            self.loop = loop
        } catch {
            socket.close()
            throw error
        }
    }

    deinit { registration.close() }

    /// Listens on a Unix socket path; see `Socket.listen(unixPath:mode:group:backlog:)`.
    public static func unix(path: String, mode: mode_t = 0o660, group: gid_t? = nil, backlog: CInt = 1024,
                            loop: EventLoop = .shared) throws -> Listener {
        try Listener(Socket.listen(unixPath: path, mode: mode, group: group, backlog: backlog), loop: loop)
    }

    /// Listens on a TCP (or Unix) address; see `Socket.listen(on:backlog:)`.
    public static func listen(on address: SocketAddress, backlog: CInt = 1024, loop: EventLoop = .shared) throws -> Listener {
        try Listener(Socket.listen(on: address, backlog: backlog), loop: loop)
    }

    /// Adopts a listening socket inherited through socket activation; see `Socket.inherited(_:)`.
    public static func inherited(_ descriptor: FileDescriptor, loop: EventLoop = .shared) throws -> Listener {
        try Listener(Socket.inherited(descriptor), loop: loop)
    }

    /// The address the listener is bound to (with the real port when it was bound to port 0).
    public func localAddress() throws -> SocketAddress {
        try registration.withDescriptor { try Socket(FileDescriptor(rawValue: $0)).localAddress() }
    }

    /// Waits for the next client. Running out of descriptors (EMFILE, ENFILE) or kernel memory is
    /// waited out (100 ms at a time) rather than thrown, so a burst of clients cannot end the accept
    /// loop; `close()` ends the wait with `SocketError.closed`. The corresponding C function is `accept4`.
    public func accept() async throws -> Connection {
        try registration.enter()
        defer { registration.leave() }
        let socket = Socket(FileDescriptor(rawValue: registration.fd))
        while true {
            registration.clear(.read)
            do {
                if let client = try socket.accept(nonBlocking: true) { return try Connection(client, loop: loop, nonBlocking: true) }
            } catch let error as SystemError where [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errno.rawValue) {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            try await registration.wait(.read)
        }
    }

    /// Clients as an async sequence, which ends when the listener is closed or the task cancelled.
    public var connections: Connections { Connections(listener: self) }

    /// Stops listening: a pending `accept()` fails with `SocketError.closed`. A Unix socket file stays
    /// on disk; remove it if the process created it (not under socket activation).
    public func close() { registration.close() }

    /// The clients of a `Listener`, as accepted by `accept()`.
    public struct Connections: AsyncSequence, Sendable {
        public typealias Element = Connection
        let listener: Listener

        public func makeAsyncIterator() -> Iterator { Iterator(listener: listener) }

        public struct Iterator: AsyncIteratorProtocol {
            let listener: Listener

            public mutating func next() async throws -> Connection? {
                do {
                    return try await listener.accept()
                } catch let error as SocketError where error.code == .closed {
                    return nil
                } catch is CancellationError {
                    return nil
                }
            }
        }
    }
}
