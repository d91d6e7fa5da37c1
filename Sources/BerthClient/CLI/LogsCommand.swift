import BerthProtocol
import BerthSystem

/// `berth logs [-f] [--tail N] [--since TIME] [NODE/]ID...`
public struct LogsCommand: BerthCommand {
    public static let spec = CommandSpec(
        "logs", abstract: "Show containers' logs: their output, and the runtime's and systemd's messages about them.",
        arguments: [IDArguments.id(repeatable: true)],
        options: [
            OptionSpec("-f", "--follow", help: "keep printing new lines until interrupted"),
            OptionSpec("--tail", value: "N", help: "only the last N lines of each log (0 to \(ContractLimits.logLines))"),
            OptionSpec("--since", value: "TIME", help: """
                only lines from TIME on: RFC 3339 (2026-12-06T17:00:00Z) or an age
                (30s, 10m, 2h, 1d)
                """),
        ],
        discussion: """
            Lines: TIME STREAM TEXT, oldest first. STREAM is stdout or stderr (the container's), runtime
            (what podman or docker and the unit's other commands printed, such as why an image could not be
            pulled) or systemd (the unit starting, and its result when it stopped). --tail counts all of
            them. With several containers or nodes each line starts with [NODE/]ID |, one log after the
            other (with --follow, in the order lines arrive). Control characters and invalid UTF-8 are
            shown escaped (\\x1b, U+FFFD), never written raw to the terminal. A line longer than
            \(ContractLimits.logLineBytes) bytes ends with [... N bytes cut].

            --json prints the container.logs results as other commands print theirs; with --follow each
            result and then each container.log notification's params, with "node", one object per line.
            """)
    var arguments: IDArguments
    var follow = false
    var tail: Int?
    var since: String?

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        arguments = try IDArguments(parsed)
        follow = parsed.flag("--follow")
        if let text = parsed.value("--tail") {
            guard let n = Int(text), (0...ContractLimits.logLines).contains(n) else {
                throw UsageError("--tail must be a whole number from 0 to \(ContractLimits.logLines), got \(String(reflecting: text))")
            }
            tail = n
        }
        if let text = parsed.value("--since") {
            guard let time = LogsCommand.sinceTime(text, now: WallTime.now.nanosecondsSinceEpoch) else {
                throw UsageError("--since takes an RFC 3339 time (2026-12-06T17:00:00Z) or an age (30s, 10m, 2h, 1d), got \(String(reflecting: text))")
            }
            since = time.rfc3339
        }
    }

    public func validate() throws(UsageError) { try arguments.validate() }

    /// An RFC 3339 time, or `now` less an age `N[smhd]`.
    static func sinceTime(_ text: String, now: Int64) -> LogTime? {
        if let time = LogTime(rfc3339: text) { return time }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count >= 0,
              count <= 100 * 365 * 86_400 / unit else { return nil }
        return LogTime(nanoseconds: now - count * unit * 1_000_000_000)
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let (tail, since, follow) = (self.tail, self.since, self.follow)
        let params: @Sendable (String) -> ContainerLogsParams = { ContainerLogsParams(id: $0, tail: tail, since: since, follow: follow ? true : nil) }
        let several = arguments.ids.count > 1
        if !follow {
            return await context.runOnNodes(arguments.options, locators: arguments.locators, plan: { ids in
                ids.map { PlannedCall(.containerLogs, params: encodeParams(params($0)), label: $0) }
            }, render: { value, label, node in
                let result = try JSONValueDecoder().decode(ContainerLogsResult.self, from: value)
                let prefix = node.map { "\($0.name)/\(label ?? result.id) | " } ?? (several ? "\(label ?? result.id) | " : "")
                var out = result.omitted > 0 ? ["\(prefix)[\(result.omitted) older lines not shown: use --tail or --since]"] : []
                out += result.lines.map { prefix + LogsCommand.text($0) }
                return out
            })
        }
        return await followLogs(context, params: params, several: several)
    }

    /// Follows every container: one connection per node, one `container.logs` per container on it.
    func followLogs(_ context: CommandContext, params: @escaping @Sendable (String) -> ContainerLogsParams,
                    several: Bool) async -> ExitCode {
        let assigned: [(target: NodeTarget, ids: [String])]
        var nodes: [(address: NodeAddress, options: ConnectOptions)] = []
        do {
            assigned = try CommandContext.assign(arguments.locators, options: arguments.options, environment: context.environment)
            var read: [String?: ConnectOptions] = [:]
            for (target, _) in assigned { nodes.append((target.address, try arguments.options.connectOptions(for: target, memo: &read))) }
        } catch let error as UsageError {
            context.output.printError("berth: \(error.message)")
            return .usage
        } catch {
            context.output.printError("berth: \(CommandContext.describe(error))")
            return .failure
        }
        let plan = Dictionary(assigned.map { ($0.target.address, ($0.target.name, $0.ids)) }, uniquingKeysWith: { a, _ in a })
        let manyNodes = assigned.count > 1
        let json = arguments.options.json
        let output = context.output
        let timeout = arguments.options.timeout
        let outcomes = await FanOut.run(nodes, timeout: .seconds(100 * 365 * 86_400)) { client in
            guard let (name, ids) = plan[client.address] else { return }
            let notifications = client.notifications
            var follows: [String: String] = [:]  // follow name -> prefix
            for id in ids {
                let result: ContainerLogsResult = try await client.call(MethodName.containerLogs.rawValue, params: params(id), timeout: timeout)
                let prefix = manyNodes ? "\(name)/\(id) | " : (several ? "\(id) | " : "")
                LogsCommand.emit(result.lines, prefix: prefix, json: json ? encodeParams(result) : JSONValue?.none, node: name, output)
                if let follow = result.follow { follows[follow] = prefix }
            }
            for await notification in notifications where notification.method == MethodName.containerLog.rawValue {
                guard let value = notification.params,
                      let batch = try? JSONValueDecoder().decode(ContainerLogNotification.self, from: value),
                      let prefix = follows[batch.follow] else { continue }
                LogsCommand.emit(batch.lines, prefix: prefix, json: json ? value : JSONValue?.none, node: name, output)
                if batch.end != nil {
                    follows[batch.follow] = nil
                    if follows.isEmpty { return }
                }
            }
            throw ClientError(.closed, "\(client.address) closed the connection")
        }
        var codes: [ExitCode] = []
        for outcome in outcomes {
            guard case .failure(let error) = outcome.result else { codes.append(.success); continue }
            codes.append(CommandContext.exitCode(for: error))
            context.output.printError("berth: " + (manyNodes ? "\(outcome.address): " : "") + CommandContext.describe(error))
        }
        return CommandContext.worst(codes)
    }

    /// `json`: what `--json` prints (`JSONValue?.none` otherwise: a bare `nil` would become JSON null).
    static func emit(_ lines: [LogLine], prefix: String, json: JSONValue?, node: String, _ output: CommandOutput) {
        if let json {
            guard case .object(var members) = json else { return }
            members["node"] = .string(node)
            output.print(JSONValue.object(members).description)
            return
        }
        for line in lines { output.print(prefix + text(line)) }
    }

    /// `TIME STREAM TEXT`, safe for a terminal.
    static func text(_ line: LogLine) -> String {
        var text = "\(line.time ?? "-") \(line.stream) \(escaped(line.text))"
        if let cut = line.cutBytes { text += " [... \(cut) bytes cut]" }
        return text
    }

    /// Control characters (C0 but tab, DEL, C1) as `\xNN`: a log must not move the cursor, change
    /// colours or retitle the terminal of whoever reads it.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
    }
}
