#if canImport(Glibc)
import Glibc
#endif

/// Which file a path or a descriptor names, and how long it is: a reader that keeps a file open
/// compares its descriptor's identity with the path's to notice that the file was replaced
/// (a log rotated by rename) and finishes the old one before it opens the new.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64

    /// The identity of the file at `path` (links followed); nil when there is none.
    /// The corresponding C function is `stat`.
    public static func of(_ path: String) -> FileIdentity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileIdentity(st)
    }

    /// The identity of the file `descriptor` has open. The corresponding C function is `fstat`.
    public static func of(_ descriptor: FileDescriptor) throws -> FileIdentity {
        var st = stat()
        guard fstat(descriptor.rawValue, &st) == 0 else { throw SystemError("fstat") }
        return FileIdentity(st)
    }

    private init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
    }

    /// Whether both name the same file (sizes aside).
    public func sameFile(as other: FileIdentity) -> Bool { device == other.device && inode == other.inode }
}

extension FileDescriptor {
    /// Opens `path` read-only (close-on-exec). The corresponding C function is `open`.
    public static func openForReading(_ path: String) throws -> FileDescriptor {
        try open(path, O_RDONLY)
    }

    /// Reads up to `count` bytes at `offset` without moving the file position; an empty array means
    /// end of file. The corresponding C function is `pread`.
    public func read(upTo count: Int, at offset: Int64) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { raw in
            retryingOnInterrupt { pread(rawValue, raw.baseAddress, count, off_t(offset)) }
        }
        guard n >= 0 else { throw SystemError("pread") }
        buffer.removeSubrange(n...)
        return buffer
    }
}
