import BerthProtocol
import BerthSystem

/// One line per event: `LEVEL event key=value ...`. Under systemd (JOURNAL_STREAM or INVOCATION_ID set)
/// the line starts with journald's `<N>` priority and has no timestamp (the journal adds its own);
/// otherwise it starts with a UTC timestamp.
public struct Logger: Sendable {
    public var minimumLevel: LogLevel
    public var underSystemd: Bool
    /// Where lines go; the default writes to standard error.
    public var sink: @Sendable (String) -> Void

    public init(minimumLevel: LogLevel = .info, underSystemd: Bool, sink: @escaping @Sendable (String) -> Void = Logger.standardError) {
        self.minimumLevel = minimumLevel
        self.underSystemd = underSystemd
        self.sink = sink
    }

    /// A logger writing to standard error, detecting systemd from the environment.
    public static func fromEnvironment(minimumLevel: LogLevel) -> Logger {
        let systemd = Processes.environmentVariable("JOURNAL_STREAM") != nil || Processes.environmentVariable("INVOCATION_ID") != nil
        return Logger(minimumLevel: minimumLevel, underSystemd: systemd)
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        try? FileDescriptor.standardError.writeAll(Array(line.utf8))
    }

    public func debug(_ event: String, _ fields: KeyValuePairs<String, any CustomStringConvertible & Sendable> = [:]) { log(.debug, event, fields) }
    public func info(_ event: String, _ fields: KeyValuePairs<String, any CustomStringConvertible & Sendable> = [:]) { log(.info, event, fields) }
    public func notice(_ event: String, _ fields: KeyValuePairs<String, any CustomStringConvertible & Sendable> = [:]) { log(.notice, event, fields) }
    public func warning(_ event: String, _ fields: KeyValuePairs<String, any CustomStringConvertible & Sendable> = [:]) { log(.warning, event, fields) }
    public func error(_ event: String, _ fields: KeyValuePairs<String, any CustomStringConvertible & Sendable> = [:]) { log(.error, event, fields) }

    /// Whether events of `level` are written (for call sites on hot paths, where building the
    /// fields costs more than the check).
    public func logs(_ level: LogLevel) -> Bool { level >= minimumLevel }

    public func log(_ level: LogLevel, _ event: String, _ fields: KeyValuePairs<String, any CustomStringConvertible & Sendable>) {
        guard level >= minimumLevel else { return }
        sink(format(level, event, fields.map { ($0.key, $0.value.description) }))
    }

    /// The line for one event, newline-terminated.
    public func format(_ level: LogLevel, _ event: String, _ fields: [(String, String)]) -> String {
        var line = underSystemd ? "<\(level.priority)>" : LogTime(nanoseconds: WallTime.now.nanosecondsSinceEpoch).rfc3339(fractionDigits: 3) + " "
        line += level.rawValue.uppercased() + " " + Logger.sanitize(event)
        for (key, value) in fields { line += " " + key + "=" + Logger.quote(value) }
        return line + "\n"
    }

    /// Values with blanks, quotes or `=` are quoted; control characters (a newline could forge a
    /// second log line) are escaped.
    static func quote(_ value: String) -> String {
        // By Unicode scalar: comparing Characters misses a quote or a backslash followed by a combining mark.
        let clean = sanitize(value)
        if !clean.isEmpty && !clean.unicodeScalars.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" }) { return clean }
        var escaped = String.UnicodeScalarView()
        for c in value.unicodeScalars {
            if c == "\\" || c == "\"" { escaped.append("\\") }
            escaped.append(c)
        }
        return "\"" + sanitize(String(escaped)) + "\""
    }

    static func sanitize(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += scalar == "\n" ? "\\n" : scalar == "\t" ? "\\t" : "\\x" + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
