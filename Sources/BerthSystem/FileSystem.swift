#if canImport(Glibc)
import Glibc
#endif

/// Atomic, durable file operations. A reader sees either the old file or the new one, never a mix,
/// and a crash at any point leaves one of the two.
public enum FileSystem {
    /// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename,
    /// then fsync of the directory so the rename itself survives a crash. `durable: false` keeps the
    /// atomic replace (a reader never sees half a file) but skips both fsyncs, for files rebuilt from
    /// durable ones after a crash anyway (systemd units rendered from a record).
    public static func writeAtomically<C: Collection>(_ bytes: C, to path: String, mode: mode_t = 0o644,
                                                     durable: Bool = true) throws
    where C.Element == UInt8 {
        let dir = directoryName(of: path)
        let tmp = "\(dir)/.\(baseName(of: path)).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, mode: mode)
        do {
            try fd.closeAfter {
                try fd.writeAll(bytes)
                if fchmod(fd.rawValue, mode) != 0 { throw SystemError("fchmod", path: tmp) }
                if durable { try fd.sync() }
            }
            guard rename(tmp, path) == 0 else { throw SystemError("rename", path: path) }
        } catch {
            unlink(tmp)
            throw error
        }
        if durable { try syncDirectory(dir) }
    }

    /// Creates `path`, which must not exist, with `bytes`, and fsyncs it: for files in a directory
    /// that only becomes visible afterwards (a staging directory renamed into place), which need
    /// neither a temporary name nor a rename. The caller fsyncs the directory.
    public static func writeNew<C: Collection>(_ bytes: C, to path: String, mode: mode_t = 0o600) throws
    where C.Element == UInt8 {
        let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        try fd.closeAfter {
            try fd.writeAll(bytes)
            if fchmod(fd.rawValue, mode) != 0 { throw SystemError("fchmod", path: path) }
            try fd.sync()
        }
    }

    /// Reads a whole file (up to `limit` bytes).
    public static func read(_ path: String, limit: Int = 64 << 20) throws -> [UInt8] {
        let fd = try FileDescriptor.open(path, O_RDONLY)
        return try fd.closeAfter { try fd.readAll(limit: limit) }
    }

    /// Reads a whole file, or nil if it does not exist.
    public static func readIfExists(_ path: String, limit: Int = 64 << 20) throws -> [UInt8]? {
        do { return try read(path, limit: limit) } catch let e as SystemError where e.errno == .noEntry { return nil }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// A regular file's size in bytes and last modification (seconds since 1970, UTC); nil when
    /// there is no such file.
    public static func sizeAndModification(_ path: String) -> (size: Int64, modified: Int64)? {
        guard let info = try? info(path, followingLinks: false) else { return nil }
        return (info.size, info.modified)
    }

    /// fsyncs a file's data and metadata; false (nothing done) if it does not exist.
    @discardableResult
    public static func syncFile(_ path: String) throws -> Bool {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path, O_RDONLY) } catch let error as SystemError where error.errno == .noEntry {
            return false
        }
        try fd.closeAfter { try fd.sync() }
        return true
    }

    /// fsyncs a directory so renames and unlinks inside it are durable.
    public static func syncDirectory(_ dir: String) throws {
        let fd = try FileDescriptor.open(dir, O_RDONLY | O_DIRECTORY)
        try fd.closeAfter { try fd.sync() }
    }

    /// mkdir -p with `mode` for the directories it creates.
    public static func createDirectory(_ path: String, mode: mode_t = 0o755) throws {
        if path.isEmpty || path == "/" { return }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw SystemError("mkdir", path: path, errno: Errno(rawValue: ENOTDIR))
        }
        try createDirectory(directoryName(of: path), mode: mode)
        if mkdir(path, mode) != 0 && errno != EEXIST { throw SystemError("mkdir", path: path) }
    }

    /// Renames within one file system (rename(2)); the caller syncs the directory when it must last.
    public static func move(_ path: String, to newPath: String) throws {
        if rename(path, newPath) != 0 { throw SystemError("rename", path: path) }
    }

    /// Gives `path` to `uid` and `gid` (chown(2), following a symbolic link).
    public static func setOwner(_ path: String, uid: UInt32, gid: UInt32) throws {
        if chown(path, uid, gid) != 0 { throw SystemError("chown", path: path) }
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw SystemError("unlink", path: path) }
    }

    /// Removes a directory tree without following symbolic links out of it.
    public static func removeTree(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw SystemError("lstat", path: path)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTree("\(path)/\(name)") }
            try removeDirectory(path)
        } else {
            try remove(path)
        }
    }

    /// Removes an empty directory (a cgroup's, whose control files need no removing); a missing one
    /// is not an error. The corresponding C function is `rmdir`.
    public static func removeDirectory(_ path: String) throws {
        if rmdir(path) != 0 && errno != ENOENT { throw SystemError("rmdir", path: path) }
    }

    /// Writes `bytes` into an existing file without creating, truncating or replacing it: a kernel
    /// control file such as a cgroup's `cgroup.procs`, where the write itself is the request.
    public static func writeControl(_ bytes: [UInt8], to path: String) throws {
        let fd = try FileDescriptor.open(path, O_WRONLY)
        try fd.closeAfter { try fd.writeAll(bytes) }
    }

    /// Names in a directory, without "." and "..".
    public static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SystemError("opendir", path: path) }
        defer { closedir(dir) }
        return entryNames(dir).filter { $0 != "." && $0 != ".." }
    }

    /// Every name `readdir` gives for `dir`. The name is read in place, up to its NUL: readdir's
    /// records are only `d_reclen` bytes long, so copying out the whole 256-byte `d_name` (as
    /// `entry.pointee.d_name` does) reads past the end of the last record in the buffer
    /// (AddressSanitizer: heap-buffer-overflow).
    static func entryNames(_ dir: OpaquePointer) -> [String] {
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        var names: [String] = []
        while let entry = readdir(dir) {
            names.append(String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self)))
        }
        return names
    }

    /// Creates or replaces a symbolic link atomically.
    public static func symlinkAtomically(target: String, at path: String) throws {
        let tmp = "\(path).tmp-\(getpid())"
        unlink(tmp)
        guard symlink(target, tmp) == 0 else { throw SystemError("symlink", path: tmp) }
        guard rename(tmp, path) == 0 else { unlink(tmp); throw SystemError("rename", path: path) }
        try syncDirectory(directoryName(of: path))
    }

    /// The target of the symbolic link at `path`, or nil when it is not one (or cannot be read).
    /// The corresponding C function is `readlink`.
    public static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
