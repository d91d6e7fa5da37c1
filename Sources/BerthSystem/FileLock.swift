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

    /// Runs `body` holding the lock on `path`.
    public static func withLock<R>(_ path: String, _ body: () throws -> R) throws -> R {
        let lock = try FileLock(path: path)
        defer { _ = lock }
        return try body()
    }
}
