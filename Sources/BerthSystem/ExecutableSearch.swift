#if canImport(Glibc)
import Glibc
#endif

/// Finds programs the way `execvp` would, but once and up front: callers that hand a path to
/// someone else (a unit's `Exec*=` line, which systemd runs with its own `PATH`) need the absolute
/// path that exists here, not a name.
public enum ExecutableSearch {
    /// The search path when none is given, and the one systemd gives services.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Whether `path` is a regular file (after symlinks) this process may execute.
    /// The corresponding C functions are `stat` and `access`.
    public static func isExecutable(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// The first executable `name` in the directories of `searchPath` (colon-separated; empty
    /// entries are skipped, not read as the working directory).
    public static func find(_ name: String, in searchPath: String) -> String? {
        guard !name.isEmpty, !name.contains("/") else { return nil }
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: true) where directory.hasPrefix("/") {
            let candidate = directory.hasSuffix("/") ? "\(directory)\(name)" : "\(directory)/\(name)"
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }

    /// The `PATH` of this process, or `defaultPath` when it has none.
    public static var processPath: String {
        getenv("PATH").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
    }
}
