#if canImport(Glibc)
import Glibc
#endif

extension Socket {
    /// Connects a blocking, close-on-exec stream socket to `address`, giving up after `timeout`.
    /// For async code use `Connection.connect(to:timeout:)`, which never blocks a thread.
    /// The corresponding C function is `connect`.
    public static func connect(to address: SocketAddress, timeout: Duration? = nil) throws -> Socket {
        let socket = try Socket.stream(family: address.family, nonBlocking: true)
        do {
            let deadline = timeout.map { ContinuousClock.now + $0 }
            while true {
                switch try socket.startConnect(to: address) {
                case .connected:
                    try socket.setNonBlocking(false)
                    return socket
                case .inProgress:
                    try socket.waitWritable(until: deadline, connecting: address)
                    let error = try socket.pendingError()
                    guard error == 0 else { throw SystemError("connect", path: address.description, errno: Errno(rawValue: error)) }
                    try socket.setNonBlocking(false)
                    return socket
                case .retryLater:
                    if let deadline, ContinuousClock.now >= deadline { throw Socket.connectTimeout(address, timeout) }
                    usleep(1000)
                }
            }
        } catch {
            socket.close()
            throw error
        }
    }

    /// How far one non-blocking connect attempt got.
    public enum ConnectProgress: Sendable { case connected, inProgress, retryLater }

    /// One non-blocking connect attempt. A full Unix listen backlog answers EAGAIN, which, unlike
    /// TCP's EINPROGRESS, cannot be waited for: the caller retries. After `inProgress`, wait until
    /// the socket is writable and read `pendingError()`.
    public func startConnect(to address: SocketAddress) throws -> ConnectProgress {
        try address.withSockAddr { addr, length in
            while true {
                if Glibc.connect(descriptor.rawValue, addr, length) == 0 { return .connected }
                switch errno {
                case EINTR: continue
                case EINPROGRESS: return .inProgress
                case EAGAIN: return .retryLater
                default: throw SystemError("connect", path: address.description)
                }
            }
        }
    }

    static func connectTimeout(_ address: SocketAddress, _ timeout: Duration?) -> SocketError {
        SocketError(.timedOut, "connect to \(address) timed out after \(timeout.map { "\($0)" } ?? "?")")
    }

    private func waitWritable(until deadline: ContinuousClock.Instant?, connecting address: SocketAddress) throws {
        var pfd = pollfd(fd: descriptor.rawValue, events: Int16(POLLOUT), revents: 0)
        while true {
            let ms = deadline.map { Socket.milliseconds(until: $0) } ?? -1
            if ms == 0 { throw Socket.connectTimeout(address, nil) }
            let n = poll(&pfd, 1, ms)
            if n > 0 { return }
            if n < 0 && errno != EINTR { throw SystemError("poll") }
        }
    }

    /// Milliseconds from `now` until `deadline`, rounded up (a poll never wakes early), at least 0,
    /// capped to fit poll's int.
    public static func milliseconds(until deadline: ContinuousClock.Instant, from now: ContinuousClock.Instant = .now) -> CInt {
        let left = now.duration(to: deadline)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return CInt(clamping: ms)
    }
}
