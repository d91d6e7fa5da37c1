import BerthProtocol
import BerthSystem

/// `berth status [-n N] ID`: one container the way `systemctl status` shows a unit: its state and
/// since when, its main process or how it ended, its restarts, what it is, and its log's last lines.
public struct StatusCommand: BerthCommand {
    public static let spec = CommandSpec(
        "status", abstract: "Show one container's state (and why it stopped), image, ports, boot setting and last log lines.",
        arguments: [IDArguments.id()],
        options: [OptionSpec("-n", "--lines", value: "N", help: "how many of the log's last lines to show (0 to \(ContractLimits.logLines); default 10)")],
        discussion: """
            The state line reads like systemctl's: `active (running) since TIME; 5min ago`, or
            `failed (Result: exit-code) since ...` for a container that failed, followed by how its main
            process ended (`exit status 3`, `killed by SIGKILL`) and how many times systemd restarted it.
            --json prints the container.status result alone (no log lines).
            """)
    var arguments: IDArguments
    var lines = 10

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        arguments = try IDArguments(parsed)
        if let text = parsed.value("--lines") {
            guard let n = Int(text), (0...ContractLimits.logLines).contains(n) else {
                throw UsageError("--lines must be a whole number from 0 to \(ContractLimits.logLines), got \(String(reflecting: text))")
            }
            lines = n
        }
    }

    public func validate() throws(UsageError) { try arguments.validate() }

    /// The label of the log call, set apart from the status call's (none).
    static let logLabel = "log"

    public func run(_ context: CommandContext) async -> ExitCode {
        let id = arguments.locators[0].id
        // The log's lines come from a second call on the same connection; --json keeps the one call
        // (its output is the status alone, as before).
        let tail = arguments.options.json ? 0 : lines
        let now = WallTime.now.nanosecondsSinceEpoch
        return await context.runOnNodes(arguments.options, locators: arguments.locators, plan: { _ in
            [PlannedCall(.containerStatus, params: encodeParams(ContainerRefParams(id: id)))]
                + (tail == 0 ? [] : [PlannedCall(.containerLogs, params: encodeParams(ContainerLogsParams(id: id, tail: tail)),
                                                 label: StatusCommand.logLabel)])
        }, adjust: { outcome, _ in
            // The status said what went wrong (a missing container); a log that cannot be read adds nothing.
            if outcome.label == StatusCommand.logLabel, case .failure = outcome.result { outcome.result = .success(.null) }
        }, render: { value, label, node in
            guard label == StatusCommand.logLabel else {
                return StatusCommand.lines(try JSONValueDecoder().decode(ContainerStatus.self, from: value), node: node, now: now)
            }
            guard value != .null, let log = try? JSONValueDecoder().decode(ContainerLogsResult.self, from: value),
                  !log.lines.isEmpty else { return [] }
            return [""] + log.lines.map(LogsCommand.text)
        })
    }

    /// The status as `systemctl status` would put it, keys aligned; `now` in nanoseconds since the epoch.
    static func lines(_ status: ContainerStatus, node: NodeTarget?, now: Int64) -> [String] {
        var out = node.map { ["node:             \($0.address)"] } ?? []
        out.append("id:               \(status.id)")
        out.append("state:            \(stateLine(status, now: now))")
        if let pid = status.mainPID { out.append("main pid:         \(pid)") }
        if let exit = exitText(status) { out.append("main process:     \(exit)") }
        if let restarts = status.restarts { out.append("restarts:         \(restarts)") }
        out += [
            "image:            \(status.image)",
            "ports:            \(portsText(status.ports))",
            "start on boot:    \(status.enabled ? "yes" : "no")",
            "socket activated: \(status.socketActivated ? "yes" : "no")",
            "restart:          \(restartText(status))",
            "limits:           \(limitsText(status))",
        ]
        return out
    }

    /// `active (running) since TIME; 5s ago`, `failed (Result: exit-code) since ...`.
    static func stateLine(_ status: ContainerStatus, now: Int64) -> String {
        var text = stateText(status)
        if status.state == "failed", let result = status.result { text = "failed (Result: \(result))" }
        if let since = status.since, let time = LogTime(rfc3339: since) {
            text += " since \(since); \(ago(nanoseconds: now - time.nanoseconds))"
        }
        return text
    }

    /// How the main process ended: `exited, status 3`, `killed by SIGKILL`; nil while it runs.
    static func exitText(_ status: ContainerStatus) -> String? {
        if let code = status.exitStatus { return "exited, status \(code)" }
        if let signal = status.exitSignal { return "killed by \(signal)" }
        return nil
    }

    /// An age as systemd writes one: `45s ago`, `3min 2s ago`, `2h 5min ago`, `3 days 4h ago`.
    static func ago(nanoseconds: Int64) -> String {
        let seconds = max(0, nanoseconds / 1_000_000_000)
        let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60)
        let text = if days > 0 {
            "\(days) day\(days == 1 ? "" : "s")" + (hours > 0 ? " \(hours)h" : "")
        } else if hours > 0 {
            "\(hours)h" + (minutes > 0 ? " \(minutes)min" : "")
        } else if minutes > 0 {
            "\(minutes)min" + (seconds % 60 > 0 ? " \(seconds % 60)s" : "")
        } else {
            "\(seconds)s"
        }
        return text + " ago"
    }
}
