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
    public static let name = "ps"
    public static let abstract = "List containers: ID, STATE, IMAGE, PORTS (and NODE with several nodes)."
    public static let usage = "berth ps [--all] [--node ADDR]... [--json]"
    public static let details = """
        OPTIONS:
          -a, --all   include stopped (inactive) containers

        """ + GlobalOptions.helpText
    var options = GlobalOptions()
    var all = false

    public init(arguments: [String]) throws(UsageError) {
        var scanner = ArgumentScanner(arguments)
        while let token = scanner.next() {
            switch token {
            case .option(let name):
                if try options.consume(name, &scanner) { continue }
                guard name == "--all" || name == "-a" else { throw UsageError("unknown option \(name)") }
                all = try scanner.flag()
            case .positional(let value): throw UsageError("unexpected argument \(String(reflecting: value))")
            case .rest: throw UsageError("ps takes no arguments after --")
            }
        }
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
            rows += list.containers.map { PsCommand.row($0, node: node) }
            return []
        })
        if !options.json && answered {
            for line in PsCommand.table(rows, several: several).render() { context.output.print(line) }
        }
        return code
    }

    static func row(_ status: ContainerStatus, node: NodeAddress?) -> [String] {
        [status.id, stateText(status), status.image, portsText(status.ports)] + (node.map { [$0.description] } ?? [])
    }

    /// The table; the NODE column appears only when several nodes were asked.
    public static func table(_ rows: [[String]], several: Bool) -> TextTable {
        TextTable(headers: ["ID", "STATE", "IMAGE", "PORTS"] + (several ? ["NODE"] : []), rows: rows)
    }

    /// The table of `containers` from one node (or several, each with its address).
    public static func table(_ containers: [(status: ContainerStatus, node: NodeAddress?)]) -> TextTable {
        let several = containers.contains { $0.node != nil }
        return table(containers.map { row($0.status, node: $0.node) }, several: several)
    }
}

/// `berth status ID`
public struct StatusCommand: BerthCommand {
    public static let name = "status"
    public static let abstract = "Show one container's state, image, ports and boot setting."
    public static let usage = "berth status ID [--node ADDR]... [--json]"
    public static let details = "ARGUMENTS:\n  ID  a container id\n\n" + GlobalOptions.helpText
    var arguments: IDArguments
    public init(arguments: [String]) throws(UsageError) { self.arguments = try IDArguments(arguments) }
    public func validate() throws(UsageError) { try arguments.validate(minimum: 1, maximum: 1) }
    public func run(_ context: CommandContext) async -> ExitCode {
        let id = arguments.locators[0].id
        return await context.runOnNodes(arguments.options, locators: arguments.locators,
                                        plan: { _ in [PlannedCall(.containerStatus, params: encodeParams(ContainerRefParams(id: id)))] }, render: { value, _, node in
            let status = try JSONValueDecoder().decode(ContainerStatus.self, from: value)
            return (node.map { ["node:             \($0)"] } ?? []) + [
                "id:               \(status.id)",
                "state:            \(stateText(status))",
                "image:            \(status.image)",
                "ports:            \(portsText(status.ports))",
                "start on boot:    \(status.enabled ? "yes" : "no")",
                "socket activated: \(status.socketActivated ? "yes" : "no")",
            ]
        })
    }
}

/// `berth ports ID`
public struct PortsCommand: BerthCommand {
    public static let name = "ports"
    public static let abstract = "Show a container's port mappings (container port -> host port)."
    public static let usage = "berth ports ID [--node ADDR]... [--json]"
    public static let details = "ARGUMENTS:\n  ID  a container id\n\n" + GlobalOptions.helpText
    var arguments: IDArguments
    public init(arguments: [String]) throws(UsageError) { self.arguments = try IDArguments(arguments) }
    public func validate() throws(UsageError) { try arguments.validate(minimum: 1, maximum: 1) }
    public func run(_ context: CommandContext) async -> ExitCode {
        let id = arguments.locators[0].id
        return await context.runOnNodes(arguments.options, locators: arguments.locators,
                                        plan: { _ in [PlannedCall(.containerPorts, params: encodeParams(ContainerRefParams(id: id)))] }, render: { value, _, node in
            let result = try JSONValueDecoder().decode(ContainerPortsResult.self, from: value)
            let rows = result.ports.map { ["\($0.internal)", $0.external == 0 ? "-" : "\($0.external)"] + (node.map { [$0.description] } ?? []) }
            return TextTable(headers: ["CONTAINER", "HOST"] + (node == nil ? [] : ["NODE"]), rows: rows).render()
        })
    }
}
