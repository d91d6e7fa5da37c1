#if canImport(Glibc)
import Glibc
#endif

/// What `stat` says about a file, in the few terms the node checks: its kind, permission bits,
/// owner, size, last modification, and which file it is (device and inode: a reader holding a log
/// open compares them with the path's to notice the file was replaced by a rotation).
public struct FileInfo: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case regular, directory, symbolicLink, other }

    public var kind: Kind
    /// The permission bits (`st_mode & 0o7777`).
    public var permissions: UInt32
    public var ownerID: UInt32
    public var size: Int64
    /// Seconds since 1970, UTC.
    public var modified: Int64
    /// The fraction of `modified`, in nanoseconds (the kernel's coarse clock: a few ms apart).
    public var modifiedNanoseconds: Int64
    /// Which file it is: equal with equal times and size means most likely unchanged in between.
    public var device: UInt64
    public var inode: UInt64

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        default: kind = .other
        }
        permissions = UInt32(st.st_mode & 0o7777)
        ownerID = UInt32(st.st_uid)
        size = Int64(st.st_size)
        modified = Int64(st.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(st.st_mtim.tv_nsec)
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    /// Whether both describe the same file (sizes and times aside).
    public func sameFile(as other: FileInfo) -> Bool { device == other.device && inode == other.inode }
}

extension FileSystem {
    /// The file at `path`; `followingLinks: false` describes a symbolic link itself.
    /// The corresponding C functions are `stat` and `lstat`.
    public static func info(_ path: String, followingLinks: Bool = true) throws -> FileInfo {
        var st = stat()
        guard (followingLinks ? stat(path, &st) : lstat(path, &st)) == 0 else {
            throw SystemError(followingLinks ? "stat" : "lstat", path: path)
        }
        return FileInfo(st)
    }

    /// The file `descriptor` has open. The corresponding C function is `fstat`.
    public static func info(_ descriptor: FileDescriptor) throws -> FileInfo {
        var st = stat()
        guard fstat(descriptor.rawValue, &st) == 0 else { throw SystemError("fstat") }
        return FileInfo(st)
    }

    /// Whether `path` is a directory itself (not a symbolic link to one).
    public static func isDirectory(_ path: String) -> Bool {
        (try? info(path, followingLinks: false))?.kind == .directory
    }
}
