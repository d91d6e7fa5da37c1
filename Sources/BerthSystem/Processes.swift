#if canImport(Glibc)
import Glibc
#endif

/// This process and others by id: who we are, whether another process lives, signalling it, exiting.
public enum Processes {
    /// This process's id. The corresponding C function is `getpid`.
    public static var currentID: Int32 { getpid() }

    /// The real user id this process runs as. The corresponding C function is `getuid`.
    public static var currentUserID: UInt32 { getuid() }

    /// The value of environment variable `name`, or nil when it is not set.
    /// The corresponding C function is `getenv`.
    public static func environmentVariable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Sends `signal` to process `pid`; false when it is not delivered (no such process, or not
    /// ours to signal). The corresponding C function is `kill`.
    @discardableResult
    public static func send(_ signal: Signal, to pid: Int32) -> Bool {
        kill(pid, signal.rawValue) == 0
    }

    /// Ends this process with `status`, flushing C's standard streams. The corresponding C function
    /// is `exit`.
    public static func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }

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
