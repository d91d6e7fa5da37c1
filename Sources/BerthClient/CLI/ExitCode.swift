/// The `berth` exit statuses (sysexits.h numbers where one fits); docs/cli.md lists them.
public struct ExitCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Every call succeeded on every node.
    public static let success = ExitCode(rawValue: 0)
    /// A call failed: the node answered an error, timed out or dropped the connection (on any node).
    public static let failure = ExitCode(rawValue: 1)
    /// The node (every node, with several) could not be reached.
    public static let unreachable = ExitCode(rawValue: 2)
    /// Bad command line (EX_USAGE).
    public static let usage = ExitCode(rawValue: 64)
    /// An input file (--env-file, --secret-file) is missing or unreadable or invalid (EX_NOINPUT).
    public static let noInput = ExitCode(rawValue: 66)
    /// Asked for something this client cannot do (EX_UNAVAILABLE).
    public static let unavailable = ExitCode(rawValue: 69)
    /// Authentication with the node failed (EX_NOPERM).
    public static let noPermission = ExitCode(rawValue: 77)

    public var description: String { "\(rawValue)" }

    /// The help text's table of exit codes.
    static let helpText = """
        EXIT STATUS:
          0   success
          1   a call failed (the node answered an error, or timed out), on any node
          2   cannot reach the node (with several nodes: none could be reached)
          64  usage error
          66  an input file (--env-file, --secret-file) is missing or invalid
          69  not supported by this client or node
          77  authentication with the node failed
        """
}

/// A command line the command cannot run; printed with the command's usage line, exit 64.
public struct UsageError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
