#if canImport(Glibc)
import Glibc
#endif

/// An owned-by-convention file descriptor. Every descriptor Berth opens is close-on-exec.
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)
}

extension FileDescriptor {
    /// Opens `path` with O_CLOEXEC added to `flags`. The corresponding C function is `open`.
    public static func open(_ path: String, _ flags: CInt, mode: mode_t = 0o644) throws -> FileDescriptor {
        let fd = retryingOnInterrupt { Glibc.open(path, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw SystemError("open", path: path) }
        return FileDescriptor(rawValue: fd)
    }

    /// Closes the descriptor. Not retried on EINTR (Linux has already released it).
    /// The corresponding C function is `close`.
    public func close() {
        _ = Glibc.close(rawValue)
    }

    /// Runs `body`, then closes the descriptor on every path.
    public func closeAfter<R>(_ body: () throws -> R) rethrows -> R {
        defer { close() }
        return try body()
    }

    /// Reads up to `count` bytes; an empty array means end of file. The corresponding C function is `read`.
    public func read(upTo count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { raw in
            retryingOnInterrupt { Glibc.read(rawValue, raw.baseAddress, count) }
        }
        guard n >= 0 else { throw SystemError("read") }
        buffer.removeSubrange(n...)
        return buffer
    }

    /// Reads until end of file, failing past `limit` bytes.
    public func readAll(limit: Int = 64 << 20) throws -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let chunk = try read(upTo: 65536)
            if chunk.isEmpty { return out }
            out += chunk
            if out.count > limit { throw SystemError("read", errno: Errno(rawValue: EFBIG)) }
        }
    }

    /// Writes every byte, retrying short writes and EINTR. The corresponding C function is `write`.
    public func writeAll<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let n = array.withUnsafeBytes { raw in
                retryingOnInterrupt { Glibc.write(rawValue, raw.baseAddress! + offset, array.count - offset) }
            }
            guard n >= 0 else { throw SystemError("write") }
            offset += n
        }
    }

    /// Flushes the file's data and metadata to disk. The corresponding C function is `fsync`.
    public func sync() throws {
        guard retryingOnInterrupt({ fsync(rawValue) }) == 0 else { throw SystemError("fsync") }
    }
}

extension FileDescriptor {
    /// Sets or clears FD_CLOEXEC. The corresponding C function is `fcntl`.
    public func setCloseOnExec(_ on: Bool) throws {
        let flags = fcntl(rawValue, F_GETFD)
        guard flags >= 0 else { throw SystemError("fcntl") }
        let wanted = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC
        if wanted != flags { guard fcntl(rawValue, F_SETFD, wanted) == 0 else { throw SystemError("fcntl") } }
    }

    /// Whether FD_CLOEXEC is set. The corresponding C function is `fcntl`.
    public func isCloseOnExec() throws -> Bool {
        let flags = fcntl(rawValue, F_GETFD)
        guard flags >= 0 else { throw SystemError("fcntl") }
        return flags & FD_CLOEXEC != 0
    }

    /// The descriptors this process has open, from /proc/self/fd (without the one used to list it).
    /// Tests compare the count before and after to catch leaks.
    public static func openDescriptors() throws -> [CInt] {
        guard let dir = opendir("/proc/self/fd") else { throw SystemError("opendir", path: "/proc/self/fd") }
        defer { closedir(dir) }
        let own = dirfd(dir)
        return FileSystem.entryNames(dir).compactMap { CInt($0) }.filter { $0 != own }.sorted()
    }

    /// How many descriptors this process has open (see `openDescriptors()`).
    public static func openCount() throws -> Int { try openDescriptors().count }
}
