#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock on a file (flock), shared correctly across processes. The kernel drops
/// it when the holder dies, so a crash never leaves a stale lock behind.
public struct FileLock: ~Copyable {
    private let fd: FileDescriptor

    /// Blocks until the lock on `path` (created if missing) is held. The corresponding C function is `flock`.
    public init(path: String) throws {
        let fd = try FileDescriptor.open(path, O_RDWR | O_CREAT, mode: 0o600)
        guard retryingOnInterrupt({ flock(fd.rawValue, LOCK_EX) }) == 0 else {
            let err = SystemError("flock", path: path)
            fd.close()
            throw err
        }
        self.fd = fd
    }

    deinit { fd.close() }  // closing the descriptor releases the lock

    /// Takes the lock on `path` (created if missing) without waiting and holds it until the process
    /// exits; false when another process holds it. For a claim no scope of the caller may end early
    /// (a node's claim on its directories): the descriptor is never closed, and it is close-on-exec,
    /// so no child inherits the claim and a killed holder frees it at once.
    public static func holdUntilExit(path: String) throws -> Bool {
        try tryLock(path: path) != nil
    }

    /// Takes the lock on `path` (created if missing) without waiting: the descriptor that holds it
    /// (closing it releases the lock), or nil when another open of the file holds it. For callers
    /// that poll without blocking a thread. The corresponding C function is `flock` with `LOCK_NB`.
    public static func tryLock(path: String) throws -> FileDescriptor? {
        let fd = try FileDescriptor.open(path, O_RDWR | O_CREAT, mode: 0o600)
        guard retryingOnInterrupt({ flock(fd.rawValue, LOCK_EX | LOCK_NB) }) == 0 else {
            let err = SystemError("flock", path: path)
            fd.close()
            if err.errno == Errno(rawValue: EWOULDBLOCK) { return nil }
            throw err
        }
        return fd
    }

    /// Runs `body` holding the lock on `path`.
    public static func withLock<R>(_ path: String, _ body: () throws -> R) throws -> R {
        let lock = try FileLock(path: path)
        defer { _ = lock }
        return try body()
    }
}
