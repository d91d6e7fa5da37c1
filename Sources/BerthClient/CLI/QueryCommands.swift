import BerthProtocol

/// How a container's ports read in a table: `40000->8080` (host -> container), `?->8080` while
/// the node has not allocated the host port yet, `-` for none.
func portsText(_ ports: [PortMapping]) -> String {
    if ports.isEmpty { return "-" }
    return ports.map { ($0.external == 0 ? "?" : "\($0.external)") + "->\($0.internal)" }.joined(separator: ",")
}

/// `active (running)`, or the state alone.
func stateText(_ status: ContainerStatus) -> String {
    status.subState.map { "\(status.state) (\($0))" } ?? status.state
}

/// `berth ps [--all]`
public struct PsCommand: BerthCommand {
    public static let spec = CommandSpec(
        "ps", abstract: "List containers: ID, STATE, IMAGE, PORTS (and NODE with several nodes).",
        options: [OptionSpec("-a", "--all", help: "include stopped (inactive) containers")])
    var options = GlobalOptions()
    var all = false

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        options = try GlobalOptions(parsed)
        all = parsed.flag("--all")
    }

    public func validate() throws(UsageError) { try options.validate() }

    public func run(_ context: CommandContext) async -> ExitCode {
        let all = self.all
        // Rows are gathered per node, then printed as one table so columns line up across nodes.
        var rows: [[String]] = []
        var answered = false
        var several = false
        let params = encodeParams(ContainerListParams())  // the same for every node: encoded once
        let code = await context.runOnNodes(options, plan: { _ in [PlannedCall(.containerList, params: params)] },
                                            adjust: { outcome, _ in
            if !all, case .success(let value) = outcome.result, var list = try? JSONValueDecoder().decode(ContainerListResult.self, from: value) {
                list.containers.removeAll { $0.state == "inactive" }
                outcome.result = .success(encodeParams(list))
            }
        }, render: { value, _, node in
            let list = try JSONValueDecoder().decode(ContainerListResult.self, from: value)
            answered = true
            several = node != nil  // runOnNodes names the node only when several were asked
            rows += list.containers.map { PsCommand.row($0, node: node?.name) }
            return []
        })
        if !options.json && answered {
            for line in PsCommand.table(rows, several: several).render() { context.output.print(line) }
        }
        return code
    }

    static func row(_ status: ContainerStatus, node: String?) -> [String] {
        [status.id, stateText(status), status.image, portsText(status.ports)] + (node.map { [$0] } ?? [])
    }

    /// The table; the NODE column appears only when several nodes were asked.
    public static func table(_ rows: [[String]], several: Bool) -> TextTable {
        TextTable(headers: ["ID", "STATE", "IMAGE", "PORTS"] + (several ? ["NODE"] : []), rows: rows)
    }

    /// The table of `containers` from one node (or several, each with its name: an alias, or the
    /// address as the user typed it).
    public static func table(named containers: [(status: ContainerStatus, node: String?)]) -> TextTable {
        let several = containers.contains { $0.node != nil }
        return table(containers.map { row($0.status, node: $0.node) }, several: several)
    }

    /// The table of `containers`, each node named by its address.
    public static func table(_ containers: [(status: ContainerStatus, node: NodeAddress?)]) -> TextTable {
        table(named: containers.map { ($0.status, $0.node?.description) })
    }
}

/// `berth ports ID`
public struct PortsCommand: BerthCommand {
    public static let spec = CommandSpec("ports", abstract: "Show a container's port mappings (container port -> host port).", arguments: [IDArguments.id()])
    var arguments: IDArguments
    public init(_ parsed: ParsedArguments) throws(UsageError) { arguments = try IDArguments(parsed) }
    public func validate() throws(UsageError) { try arguments.validate() }
    public func run(_ context: CommandContext) async -> ExitCode {
        await context.runContainerQuery(arguments, .containerPorts, as: ContainerPortsResult.self) { result, node in
            let rows = result.ports.map { ["\($0.internal)", $0.external == 0 ? "-" : "\($0.external)"] + (node.map { [$0.name] } ?? []) }
            return TextTable(headers: ["CONTAINER", "HOST"] + (node == nil ? [] : ["NODE"]), rows: rows).render()
        }
    }
}

/// `on-failure (delay 0.5s, at most 3 starts in 60s)`; `no` when none was set.
func restartText(_ status: ContainerStatus) -> String {
    var details: [String] = []
    if let delay = status.restartDelaySeconds { details.append("delay \(delay)s") }
    switch (status.restartBurst, status.restartIntervalSeconds) {
    case (let burst?, let interval?): details.append(interval == 0 ? "no start limit" : "at most \(burst) starts in \(interval)s")
    case (let burst?, nil): details.append("at most \(burst) starts")
    case (nil, let interval?): details.append(interval == 0 ? "no start limit" : "start limit over \(interval)s")
    case (nil, nil): break
    }
    return (status.restart ?? "no") + (details.isEmpty ? "" : " (" + details.joined(separator: ", ") + ")")
}

/// `memory 256m, memory+swap 512m, cpus 0.5, pids 100`; `none`.
func limitsText(_ status: ContainerStatus) -> String {
    func size(_ bytes: Int) -> String {
        for (unit, shift) in [("g", 30), ("m", 20), ("k", 10)] where bytes % (1 << shift) == 0 { return "\(bytes >> shift)\(unit)" }
        return "\(bytes)"
    }
    var parts: [String] = []
    if let memory = status.memory { parts.append("memory " + size(memory)) }
    if let swap = status.memorySwap { parts.append("memory+swap " + size(swap)) }
    if let cpus = status.cpus { parts.append("cpus \(cpus)") }
    if let pids = status.pids { parts.append("pids \(pids)") }
    return parts.isEmpty ? "none" : parts.joined(separator: ", ")
}
