import BerthProtocol

/// Runs one container method per id on every node; ids are done one after another so the output
/// follows the command line, and one failing id does not stop the rest.
func runPerID(_ context: CommandContext, _ arguments: IDArguments, verb: String,
              _ call: (String) -> PlannedCall) async -> ExitCode {
    return await context.runOnNodes(arguments.options, locators: arguments.locators, plan: { ids in ids.map(call) },
                                    render: { value, label, node in
        let state = value["state"]?.stringValue.map { " (\($0))" } ?? ""
        let line = "\(verb) \(label ?? "")\(state)" + (node.map { " on \($0.address)" } ?? "")
        // start and restart: systemd refused every start after a crash loop until the node reset it.
        guard value["startLimitReset"] == .bool(true) else { return [line] }
        return ["\(label ?? ""): had hit its start limit (start-limit-hit: it restarted too often); reset it", line]
    })
}


/// `berth start ID...`
public struct StartCommand: BerthCommand {
    public static let spec = CommandSpec("start", abstract: "Start containers (and start them on boot).", arguments: [IDArguments.id(repeatable: true)])
    var arguments: IDArguments
    public init(_ parsed: ParsedArguments) throws(UsageError) { arguments = try IDArguments(parsed) }
    public func validate() throws(UsageError) { try arguments.validate() }
    public func run(_ context: CommandContext) async -> ExitCode {
        await runPerID(context, arguments, verb: "started") { id in
            PlannedCall(.containerStart, params: encodeParams(ContainerRefParams(id: id)), label: id)
        }
    }
}

/// `berth stop [--wait] ID...`
public struct StopCommand: BerthCommand {
    public static let spec = CommandSpec(
        "stop", abstract: "Stop containers; with --wait, until they have stopped.", arguments: [IDArguments.id(repeatable: true)],
        options: [
            OptionSpec("--wait", help: "return only once the container has stopped"),
            OptionSpec("--stop-timeout", value: "SECONDS", help: "with --wait: how long the node waits before answering timeout"),
        ])
    var arguments: IDArguments
    var wait = false
    var stopTimeout: Int?

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        arguments = try IDArguments(parsed)
        wait = parsed.flag("--wait")
        if let stopTimeout = parsed.value("--stop-timeout") {
            guard let seconds = Int(stopTimeout), seconds > 0, seconds <= 3600 else {
                throw UsageError("--stop-timeout must be a whole number of seconds from 1 to 3600, got \(String(reflecting: stopTimeout))")
            }
            self.stopTimeout = seconds
        }
    }

    public func validate() throws(UsageError) {
        try arguments.validate()
        if stopTimeout != nil && !wait { throw UsageError("--stop-timeout only makes sense with --wait") }
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let wait = self.wait ? true : nil
        let stopTimeout = self.stopTimeout
        return await runPerID(context, arguments, verb: "stopped") { id in
            let params = ContainerStopParams(id: id, wait: wait, timeoutSeconds: stopTimeout)
            return PlannedCall(.containerStop, params: encodeParams(params), label: id)
        }
    }
}

/// `berth restart ID...`
public struct RestartCommand: BerthCommand {
    public static let spec = CommandSpec("restart", abstract: "Restart containers.", arguments: [IDArguments.id(repeatable: true)])
    var arguments: IDArguments
    public init(_ parsed: ParsedArguments) throws(UsageError) { arguments = try IDArguments(parsed) }
    public func validate() throws(UsageError) { try arguments.validate() }
    public func run(_ context: CommandContext) async -> ExitCode {
        await runPerID(context, arguments, verb: "restarted") { id in
            PlannedCall(.containerRestart, params: encodeParams(ContainerRefParams(id: id)), label: id)
        }
    }
}

/// `berth rm ID...`
public struct RemoveCommand: BerthCommand {
    public static let spec = CommandSpec("rm", abstract: "Stop and delete containers: unit, files, ports, environment, links.", arguments: [IDArguments.id(repeatable: true)])
    var arguments: IDArguments
    public init(_ parsed: ParsedArguments) throws(UsageError) { arguments = try IDArguments(parsed) }
    public func validate() throws(UsageError) { try arguments.validate() }
    public func run(_ context: CommandContext) async -> ExitCode {
        await runPerID(context, arguments, verb: "deleted") { id in
            PlannedCall(.containerDelete, params: encodeParams(ContainerRefParams(id: id)), label: id)
        }
    }
}
