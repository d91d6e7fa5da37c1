import BerthProtocol

/// Shared parsing for commands whose only arguments are container ids (at least `minimum`).
struct IDArguments: Hashable, Sendable {
    var options = GlobalOptions()
    var ids: [String] = []

    /// The ids and node options; how many ids is the spec's to check (`CommandSpec.parse`).
    init(_ parsed: ParsedArguments) throws(UsageError) {
        options = try GlobalOptions(parsed)
        ids = parsed.positionals
    }

    func validate() throws(UsageError) {
        try options.validate()
        for id in ids { try Locator(parsing: id).validate() }
    }

    /// One `ID` argument, or several.
    static func id(repeatable: Bool = false) -> ArgumentSpec {
        ArgumentSpec("ID", repeatable: repeatable, noun: "the container ID", help: repeatable ? "a container id (one or more)" : "a container id")
    }

    /// The ids as locators (`ID` or `NODE/ID`); call after `validate`.
    var locators: [Locator] { ids.map { (try? Locator(parsing: $0)) ?? Locator(node: nil, id: $0) } }
}

/// `berth ping`: round trip to every node.
public struct PingCommand: BerthCommand {
    public static let spec = CommandSpec("ping", abstract: "Check that the node answers, and how fast.")
    var arguments: IDArguments

    public init(_ parsed: ParsedArguments) throws(UsageError) { arguments = try IDArguments(parsed) }
    public func validate() throws(UsageError) { try arguments.validate() }

    public func run(_ context: CommandContext) async -> ExitCode {
        await context.runOnNodes(arguments.options, plan: { _ in [PlannedCall(.nodePing)] }, adjust: { outcome, answer in
            let elapsed = answer.roundTrip
            if case .success(.object(var members)) = outcome.result {
                members["roundTripMicroseconds"] = .int(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
                outcome.result = .success(.object(members))
            }
        }, render: { value, _, node in
            let micros = value["roundTripMicroseconds"]?.intValue ?? 0
            let name = node?.address.description ?? arguments.options.addresses(environmentDescription: context.environment)
            return ["\(name): pong in \(Double(micros) / 1000) ms"]
        })
    }
}

/// `berth node info`: what the node is and runs.
public struct NodeInfoCommand: BerthCommand {
    public static let spec = CommandSpec("node info", abstract: "Show a node's version, host, protocols, capabilities and uptime.")
    var arguments: IDArguments

    public init(_ parsed: ParsedArguments) throws(UsageError) { arguments = try IDArguments(parsed) }
    public func validate() throws(UsageError) { try arguments.validate() }

    public func run(_ context: CommandContext) async -> ExitCode {
        await context.runOnNodes(arguments.options, plan: { _ in [PlannedCall(.nodeInfo)] }, render: { value, _, node in
            let info = try JSONValueDecoder().decode(NodeInfo.self, from: value)
            var lines: [String] = []
            if let node { lines.append("node:          \(node.address)") }
            lines += [
                "hostname:      \(info.hostname)",
                "version:       \(info.version)",
                "addresses:     \(info.addresses.isEmpty ? "-" : info.addresses.joined(separator: ", "))",
                "protocols:     \(info.protocols.map(String.init).joined(separator: ", "))",
                "capabilities:  \(info.capabilities.isEmpty ? "-" : info.capabilities.joined(separator: ", "))",
                "manager:       \(info.managerMode)",
                "runtime:       \(info.runtime)\(info.tools?["runtime"].map { " (\($0))" } ?? "")",
                "uptime:        \(Self.uptime(info.uptimeSeconds))",
                "role:          \(info.role ?? "-")",
            ]
            return lines
        })
    }

    static func uptime(_ seconds: Int64) -> String {
        let d = seconds / 86_400, h = seconds % 86_400 / 3600, m = seconds % 3600 / 60, s = seconds % 60
        if d > 0 { return "\(d)d \(h)h \(m)m" }
        if h > 0 { return "\(h)h \(m)m" }
        return m > 0 ? "\(m)m \(s)s" : "\(s)s"
    }
}

extension GlobalOptions {
    /// The node's address as text for messages (the first one; ping renders per node).
    func addresses(environmentDescription environment: [String: String]) -> String {
        ((try? addresses(environment: environment)) ?? []).first?.description ?? "node"
    }
}
