#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

/// A socket descriptor with the calls Berth makes on it. Every socket it creates or accepts is
/// close-on-exec, and listening sockets are non-blocking so an event loop can drive them.
///
/// `Socket` is a plain value: closing it is explicit. For async I/O wrap it in a `Connection` or
/// `Listener`, which own it from then on.
public struct Socket: Hashable, Sendable {
    public let descriptor: FileDescriptor

    public init(_ descriptor: FileDescriptor) { self.descriptor = descriptor }

    /// How much of a connection `shutdown` closes.
    public enum ShutdownKind: Sendable {
        case read, write, both
    }

    /// A new close-on-exec stream socket; a TCP one (IPv4 or IPv6) with `TCP_NODELAY` (see
    /// `setNoDelay`), which the sockets a listener accepts inherit. The corresponding C function is `socket`.
    public static func stream(family: CInt, nonBlocking: Bool) throws -> Socket {
        let fd = berth_socket(family, BERTH_SOCK_STREAM, 0, nonBlocking ? 1 : 0)
        guard fd >= 0 else { throw SystemError("socket") }
        let socket = Socket(FileDescriptor(rawValue: fd))
        if family == AF_INET || family == AF_INET6 {
            do { try socket.setNoDelay() } catch {
                socket.close()
                throw error
            }
        }
        return socket
    }

    /// A connected pair of close-on-exec Unix stream sockets. The corresponding C function is `socketpair`.
    public static func pair() throws -> (Socket, Socket) {
        var fds: [CInt] = [-1, -1]
        guard berth_socketpair(AF_UNIX, BERTH_SOCK_STREAM, 0, &fds) == 0 else { throw SystemError("socketpair") }
        return (Socket(FileDescriptor(rawValue: fds[0])), Socket(FileDescriptor(rawValue: fds[1])))
    }

    /// Closes the socket. The corresponding C function is `close`.
    public func close() { descriptor.close() }

    /// Sets or clears O_NONBLOCK. The corresponding C function is `fcntl`.
    public func setNonBlocking(_ on: Bool) throws {
        let flags = fcntl(descriptor.rawValue, F_GETFL)
        guard flags >= 0 else { throw SystemError("fcntl") }
        let wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if wanted != flags { guard fcntl(descriptor.rawValue, F_SETFL, wanted) == 0 else { throw SystemError("fcntl") } }
    }

    /// Accepts one pending connection as a close-on-exec socket (non-blocking unless told otherwise),
    /// or nil when none is pending on a non-blocking listener. The corresponding C function is `accept4`.
    public func accept(nonBlocking: Bool = true) throws -> Socket? {
        while true {
            let fd = berth_accept4(descriptor.rawValue, nil, nil, nonBlocking ? 1 : 0)
            if fd >= 0 { return Socket(FileDescriptor(rawValue: fd)) }
            switch errno {
            case EINTR, ECONNABORTED: continue  // a client that gave up is not the listener's failure
            case EAGAIN: return nil
            default: throw SystemError("accept4")
            }
        }
    }

    /// Sends small writes at once on a TCP socket (turns Nagle's algorithm off). Berth writes whole
    /// lines and coalesces them itself, so holding a short write back until the previous one is
    /// acknowledged only adds latency: up to the peer's delayed-ACK timer (40 ms on Linux) whenever
    /// two answers leave one after the other. The corresponding C option is `TCP_NODELAY`.
    public func setNoDelay() throws {
        try setOption(CInt(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
    }

    /// The peer's pid, uid and gid on a connected Unix socket. The corresponding C option is `SO_PEERCRED`.
    public func peerCredentials() throws -> PeerCredentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        guard berth_peercred(descriptor.rawValue, &pid, &uid, &gid) == 0 else { throw SystemError("getsockopt(SO_PEERCRED)") }
        return PeerCredentials(processID: pid, userID: uid, groupID: gid)
    }

    /// Sends bytes without ever raising SIGPIPE; returns how many were sent, or nil when the socket is
    /// non-blocking and its buffer is full. The corresponding C function is `send` (with `MSG_NOSIGNAL`).
    public func send(_ bytes: UnsafeRawBufferPointer) throws -> Int? {
        while true {
            let n = berth_send_nosignal(descriptor.rawValue, bytes.baseAddress, bytes.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN { return nil }
            throw SystemError("send")
        }
    }

    /// Sends bytes from any collection (an outbox array, a slice of what a `PollLoop` read), so callers
    /// never hold a pointer; see `send(_:)` for the result.
    @inlinable
    public func send<Bytes: Collection>(_ bytes: Bytes) throws -> Int? where Bytes.Element == UInt8 {
        if let sent = try bytes.withContiguousStorageIfAvailable({ try send(UnsafeRawBufferPointer($0)) }) { return sent }
        return try Array(bytes).withUnsafeBytes { try send($0) }
    }

    /// Receives up to `count` bytes: empty at end of stream, nil when a non-blocking socket has nothing.
    /// The corresponding C function is `recv`.
    public func receive(upTo count: Int) throws -> [UInt8]? {
        try readAvailable("recv", upTo: count) { recv(descriptor.rawValue, $0, $1, 0) }
    }

    /// True when a non-blocking peek finds nothing to read: no bytes, no end of stream, no error (an
    /// idle kept connection the peer has not closed). The corresponding C function is `recv` (with
    /// `MSG_PEEK | MSG_DONTWAIT`).
    public func hasNothingToRead() -> Bool {
        var byte: UInt8 = 0
        let n = recv(descriptor.rawValue, &byte, 1, CInt(MSG_PEEK | MSG_DONTWAIT))
        return n < 0 && (errno == EAGAIN || errno == EINTR)
    }

    /// Shuts down one or both directions; errors (the peer already went) are ignored because the
    /// caller is finishing anyway. The corresponding C function is `shutdown`.
    public func shutdown(_ how: ShutdownKind) {
        let value: CInt = switch how {
        case .read: CInt(SHUT_RD)
        case .write: CInt(SHUT_WR)
        case .both: CInt(SHUT_RDWR)
        }
        _ = Glibc.shutdown(descriptor.rawValue, value)
    }

    /// The address this socket is bound to. The corresponding C function is `getsockname`.
    public func localAddress() throws -> SocketAddress {
        try readAddress("getsockname") { getsockname(descriptor.rawValue, $0, $1) }
    }

    /// The address of the connected peer. The corresponding C function is `getpeername`.
    public func remoteAddress() throws -> SocketAddress {
        try readAddress("getpeername") { getpeername(descriptor.rawValue, $0, $1) }
    }

    /// The pending error of the socket (0 when none), as after a non-blocking connect.
    /// The corresponding C option is `SO_ERROR`.
    public func pendingError() throws -> CInt {
        var value: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        guard getsockopt(descriptor.rawValue, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else {
            throw SystemError("getsockopt(SO_ERROR)")
        }
        return value
    }

    func setOption(_ level: CInt, _ name: CInt, _ value: CInt, _ label: String) throws {
        var value = value
        guard setsockopt(descriptor.rawValue, level, name, &value, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
            throw SystemError("setsockopt(\(label))")
        }
    }

    private func readAddress(_ call: String, _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> CInt) throws -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, &length) }
        }
        guard rc == 0 else { throw SystemError(call) }
        return try SocketAddress(storage: storage, length: length)
    }
}

extension Socket {
    /// Reads up to `count` bytes from any descriptor (a pipe too): empty at end of file, nil when a
    /// non-blocking descriptor has nothing. The corresponding C function is `read`.
    func readAvailable(upTo count: Int) throws -> [UInt8]? {
        try readAvailable("read", upTo: count) { Glibc.read(descriptor.rawValue, $0, $1) }
    }

    /// One read through `call` into a fresh buffer, retried on EINTR: empty at end of stream, nil on EAGAIN.
    private func readAvailable(_ call: String, upTo count: Int,
                               _ body: (UnsafeMutableRawPointer?, Int) -> Int) throws -> [UInt8]? {
        var failure: CInt = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            while true {
                let n = body(buffer.baseAddress, count)
                if n >= 0 { initialized = n; return }
                if errno == EINTR { continue }
                failure = errno
                return
            }
        }
        if failure == EAGAIN { return nil }
        if failure != 0 { throw SystemError(call, errno: Errno(rawValue: failure)) }
        return bytes
    }
}
