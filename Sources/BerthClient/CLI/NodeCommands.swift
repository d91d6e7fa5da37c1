import BerthProtocol

/// Shared parsing for commands whose only arguments are container ids (at least `minimum`).
struct IDArguments: Hashable, Sendable {
    var options = GlobalOptions()
    var ids: [String] = []

    init(_ arguments: [String], extra: (String, inout ArgumentScanner) throws(UsageError) -> Bool = { _, _ in false }) throws(UsageError) {
        ids = try ArgumentScanner.positionals(arguments, options: &options, extra: extra)
    }

    func validate(minimum: Int = 1, maximum: Int = .max) throws(UsageError) {
        try options.validate()
        if ids.count < minimum { throw UsageError(minimum == 1 && maximum == 1 ? "missing the container ID" : "missing container IDs") }
        if ids.count > maximum { throw UsageError("expected one container ID, got \(ids.count)") }
        for id in ids { try Locator(parsing: id).validate() }
    }

    /// The ids as locators (`ID` or `NODE/ID`); call after `validate`.
    var locators: [Locator] { ids.map { (try? Locator(parsing: $0)) ?? Locator(node: nil, id: $0) } }
}

/// `berth ping`: round trip to every node.
public struct PingCommand: BerthCommand {
    public static let name = "ping"
    public static let abstract = "Check that the node answers, and how fast."
    public static let usage = "berth ping [--node ADDR]... [--json]"
    public static let details = GlobalOptions.helpText
    var arguments: IDArguments

    public init(arguments: [String]) throws(UsageError) { self.arguments = try IDArguments(arguments) }
    public func validate() throws(UsageError) { try arguments.validate(minimum: 0, maximum: 0) }

    public func run(_ context: CommandContext) async -> ExitCode {
        await context.runOnNodes(arguments.options, plan: { _ in [PlannedCall(.nodePing)] }, adjust: { outcome, answer in
            let elapsed = answer.roundTrip
            if case .success(.object(var members)) = outcome.result {
                members["roundTripMicroseconds"] = .int(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)
                outcome.result = .success(.object(members))
            }
        }, render: { value, _, node in
            let micros = value["roundTripMicroseconds"]?.intValue ?? 0
            let name = node?.description ?? arguments.options.addresses(environmentDescription: context.environment)
            return ["\(name): pong in \(Double(micros) / 1000) ms"]
        })
    }
}

/// `berth node info`: what the node is and runs.
public struct NodeInfoCommand: BerthCommand {
    public static let name = "node info"
    public static let abstract = "Show a node's version, host, protocols, capabilities and uptime."
    public static let usage = "berth node info [--node ADDR]... [--json]"
    public static let details = GlobalOptions.helpText
    var arguments: IDArguments

    public init(arguments: [String]) throws(UsageError) { self.arguments = try IDArguments(arguments) }
    public func validate() throws(UsageError) { try arguments.validate(minimum: 0, maximum: 0) }

    public func run(_ context: CommandContext) async -> ExitCode {
        await context.runOnNodes(arguments.options, plan: { _ in [PlannedCall(.nodeInfo)] }, render: { value, _, node in
            let info = try JSONValueDecoder().decode(NodeInfo.self, from: value)
            var lines: [String] = []
            if let node { lines.append("node:          \(node)") }
            lines += [
                "hostname:      \(info.hostname)",
                "version:       \(info.version)",
                "addresses:     \(info.addresses.isEmpty ? "-" : info.addresses.joined(separator: ", "))",
                "protocols:     \(info.protocols.map(String.init).joined(separator: ", "))",
                "capabilities:  \(info.capabilities.isEmpty ? "-" : info.capabilities.joined(separator: ", "))",
                "manager:       \(info.managerMode)",
                "runtime:       \(info.runtime)\(info.tools?["runtime"].map { " (\($0))" } ?? "")",
                "uptime:        \(Self.uptime(info.uptimeSeconds))",
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
