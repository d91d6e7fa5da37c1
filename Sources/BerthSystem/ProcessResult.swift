#if canImport(Glibc)
import Glibc
#endif

/// How a process ended.
public enum ProcessStatus: Hashable, Sendable, CustomStringConvertible {
    /// It called exit with this code.
    case exited(CInt)
    /// A signal killed it.
    case signaled(CInt)

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// What a finished process left behind.
public struct ProcessResult: Hashable, Sendable {
    /// The child's pid (already reaped: the number may belong to another process by now).
    public var processID: pid_t
    public var status: ProcessStatus
    /// Standard output, at most `outputLimit` bytes.
    public var stdout: [UInt8]
    /// Standard error, at most `outputLimit` bytes.
    public var stderr: [UInt8]
    /// The timeout expired and the child was sent SIGTERM (and SIGKILL if it lingered).
    public var timedOut: Bool
    /// Standard output or standard error went past `outputLimit` and was cut there.
    public var truncated: Bool

    public init(processID: pid_t, status: ProcessStatus, stdout: [UInt8], stderr: [UInt8], timedOut: Bool, truncated: Bool) {
        self.processID = processID
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
        self.truncated = truncated
    }

    /// Exited with status 0 in time.
    public var succeeded: Bool { status == .exited(0) && !timedOut }

    /// Standard output as UTF-8 text (invalid sequences replaced).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

    /// Standard error as UTF-8 text (invalid sequences replaced).
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}
