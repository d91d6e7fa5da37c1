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

    /// Whether process `pid` exists and is not a zombie (which `exists` still sees until its parent
    /// reaps it: a detached process's parent is PID 1, which may take its time). Reads
    /// `/proc/PID/stat`, whose state letter follows the last `)` (the command name may hold one).
    public static func isRunning(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? FileSystem.read("/proc/\(pid)/stat", limit: 4096),
              let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return false }
        let state = stat[(close + 1)...].first { $0 != UInt8(ascii: " ") }
        return state != nil && state != UInt8(ascii: "Z") && state != UInt8(ascii: "X")
    }
}
