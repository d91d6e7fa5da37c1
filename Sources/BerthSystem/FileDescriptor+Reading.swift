#if canImport(Glibc)
import Glibc
#endif

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
