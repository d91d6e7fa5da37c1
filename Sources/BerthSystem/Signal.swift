#if canImport(Glibc)
import Glibc
#endif

/// A POSIX signal number with a readable name.
public struct Signal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    public static let terminate = Signal(rawValue: SIGTERM)
    public static let interrupt = Signal(rawValue: SIGINT)
    public static let hangup = Signal(rawValue: SIGHUP)
    public static let user1 = Signal(rawValue: SIGUSR1)
    public static let user2 = Signal(rawValue: SIGUSR2)
    public static let kill = Signal(rawValue: SIGKILL)
    /// SIGCONT: a stopped process runs again (and can then act on a SIGTERM it was sent).
    public static let resume = Signal(rawValue: SIGCONT)

    public var description: String { name ?? "signal \(rawValue)" }

    /// The signal's name (`SIGKILL`), as `kill -l` and systemd print it; nil for a number that is
    /// not a standard signal (a real-time one).
    public var name: String? {
        switch rawValue {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGUSR1: "SIGUSR1"
        case SIGSEGV: "SIGSEGV"
        case SIGUSR2: "SIGUSR2"
        case SIGPIPE: "SIGPIPE"
        case SIGALRM: "SIGALRM"
        case SIGTERM: "SIGTERM"
        case SIGCHLD: "SIGCHLD"
        case SIGCONT: "SIGCONT"
        case SIGSTOP: "SIGSTOP"
        case SIGTSTP: "SIGTSTP"
        case SIGTTIN: "SIGTTIN"
        case SIGTTOU: "SIGTTOU"
        case SIGURG: "SIGURG"
        case SIGXCPU: "SIGXCPU"
        case SIGXFSZ: "SIGXFSZ"
        case SIGVTALRM: "SIGVTALRM"
        case SIGPROF: "SIGPROF"
        case SIGWINCH: "SIGWINCH"
        case SIGIO: "SIGIO"
        case SIGPWR: "SIGPWR"
        case SIGSYS: "SIGSYS"
        default: nil
        }
    }
}
