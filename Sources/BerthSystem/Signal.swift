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

    public var description: String {
        switch rawValue {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        case SIGKILL: "SIGKILL"
        case SIGCONT: "SIGCONT"
        default: "signal \(rawValue)"
        }
    }
}
