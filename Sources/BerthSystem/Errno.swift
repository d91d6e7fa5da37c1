#if canImport(Glibc)
import Glibc
#endif

/// A POSIX error number with a readable description.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    public static var current: Errno { Errno(rawValue: errno) }

    public static let interrupted = Errno(rawValue: EINTR)
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let noEntry = Errno(rawValue: ENOENT)
    public static let exists = Errno(rawValue: EEXIST)
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    public static let brokenPipe = Errno(rawValue: EPIPE)
    public static let connectionReset = Errno(rawValue: ECONNRESET)
    public static let permissionDenied = Errno(rawValue: EACCES)
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    public static let inProgress = Errno(rawValue: EINPROGRESS)

    public var description: String { String(cString: strerror(rawValue)) }
}

/// An error from a system call, naming the call and (where there is one) the path.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public let call: String
    public let path: String?
    public let errno: Errno
    public init(_ call: String, path: String? = nil, errno: Errno = .current) {
        self.call = call
        self.path = path
        self.errno = errno
    }
    public var description: String {
        if let path { return "\(call) \(path): \(errno)" }
        return "\(call): \(errno)"
    }
}

/// Runs `body` until it does not fail with EINTR. `body` returns -1 and sets errno on failure.
@inline(__always)
func retryingOnInterrupt<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let r = body()
        if r == -1 && errno == EINTR { continue }
        return r
    }
}
