#if canImport(Glibc)
import Glibc
#endif

/// A file's identity and last change (`stat(2)`): equal stamps mean the file (or directory) was
/// most likely not changed in between, within the kernel's coarse clock (see `settled`).
public struct FileStamp: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var seconds: Int
    public var nanoseconds: Int
    public var size: Int64

    /// The stamp of `path` (symbolic links followed); nil when it cannot be read.
    public init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        seconds = Int(info.st_mtim.tv_sec)
        nanoseconds = Int(info.st_mtim.tv_nsec)
        size = Int64(info.st_size)
    }

    /// Whether a change in the same tick as the stamp was taken would have moved it: a file's mtime
    /// has the kernel's coarse clock (a few ms), so an entry added right after the read may leave it
    /// unchanged. Only a stamp a second older than `now` is trusted (git's "racily clean" rule).
    public func settled(now: Int64 = WallClock.seconds()) -> Bool { now > Int64(seconds) + 1 }
}
