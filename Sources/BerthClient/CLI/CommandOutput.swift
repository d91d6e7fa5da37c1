import BerthSystem

/// Where a command writes: standard output and standard error, or buffers in tests.
public final class CommandOutput: Sendable {
    private enum Sink { case standard, captured }
    private let sink: Sink
    private let captured = Lock<(out: String, err: String)>(("", ""))

    private init(_ sink: Sink) { self.sink = sink }

    /// Writes to file descriptors 1 and 2.
    public static var standard: CommandOutput { CommandOutput(.standard) }
    /// Keeps everything, for tests.
    public static func capturing() -> CommandOutput { CommandOutput(.captured) }

    /// Writes `line` and a newline to standard output.
    public func print(_ line: String) { write(line + "\n", error: false) }
    /// Writes `line` and a newline to standard error.
    public func printError(_ line: String) { write(line + "\n", error: true) }

    /// What was written to standard output (capturing only).
    public var standardOutput: String { captured.withLock { $0.out } }
    /// What was written to standard error (capturing only).
    public var standardError: String { captured.withLock { $0.err } }

    private func write(_ text: String, error: Bool) {
        switch sink {
        case .standard:
            // A closed pipe (berth ps | head) must not turn into an error of the command.
            try? (error ? FileDescriptor.standardError : FileDescriptor.standardOutput).writeAll(Array(text.utf8))
        case .captured:
            captured.withLock { if error { $0.err += text } else { $0.out += text } }
        }
    }
}
