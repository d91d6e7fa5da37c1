#if canImport(Glibc)
import Glibc
#endif

/// Process ids, for files named after the process that wrote them.
public enum Processes {
    /// This process's id.
    public static var currentID: Int32 { getpid() }

    /// Whether a process with id `pid` exists: `kill(pid, 0)` succeeds, or is refused for
    /// permission (which also means the process is there).
    public static func exists(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
