#if canImport(Glibc)
import Glibc
#endif

extension FileSystem {
    /// Creates `path` holding exactly `bytes`, but only if nothing has that name yet; returns false
    /// if something does. The bytes go to `temporary` (a new name in the same directory, chosen by
    /// the caller) first, fsynced if `durable`, and then `link(2)` gives them the name `path`: the
    /// kernel makes that atomic and exclusive, so of two creators exactly one wins and the file
    /// exists either whole or not at all. `temporary` is removed in every case; a crash can leave
    /// it behind, holding nothing of value. `beforeLink` runs once the temporary file is complete
    /// (a crash-test hook).
    public static func createExclusively(_ bytes: [UInt8], at path: String, via temporary: String,
                                         mode: mode_t = 0o600, durable: Bool = true,
                                         beforeLink: () -> Void = {}) throws -> Bool {
        let fd = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        defer { unlink(temporary) }
        try fd.closeAfter {
            try fd.writeAll(bytes)
            if durable { try fd.sync() }
        }
        beforeLink()
        if link(temporary, path) == 0 { return true }
        if errno == EEXIST { return false }
        throw SystemError("link", path: path)
    }
}
