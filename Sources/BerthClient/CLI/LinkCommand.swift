import BerthCore
import BerthProtocol

/// `berth link NODE/ID --to NODE/ID:PORT [--as ADDR:PORT]`
public struct LinkCommand: BerthCommand {
    public static let spec = CommandSpec(
        "link", abstract: "Link a container to a container on another node (live; kept across restarts).",
        arguments: [ArgumentSpec("[NODE/]ID", noun: "the container to link ([NODE/]ID)", help: "the container that connects (NODE: an alias or address; default --node)")],
        options: [
            OptionSpec("--to", value: "[NODE/]ID:PORT", help: "the container it reaches and its internal PORT (default node: the source's)"),
            OptionSpec("--as", value: "ADDR:PORT", help: "the address the source connects to (default 127.0.0.1:PORT)"),
        ],
        discussion: """
        Asks the target's node which host port publishes PORT (container.ports) and the address other
        hosts reach that node by (the alias's host=, the tcp:// host, else node.info's first address),
        then adds the link on the source's node (container.links.add), which replaces a link from the
        same ADDR:PORT and keeps the others in one step, so concurrent runs on one container never
        drop each other's link. A running source gets it at once. `berth unlink` removes one.
        """)
    var options = GlobalOptions()
    var source: Locator
    var target: Locator
    var targetPort: UInt16
    var from: (host: String, port: UInt16)?

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        options = try GlobalOptions(parsed)
        let asText = parsed.value("--as")
        guard let to = parsed.value("--to") else { throw UsageError("missing --to [NODE/]ID:PORT") }
        source = try Locator(parsing: parsed.positionals[0])
        guard let colon = to.lastIndex(of: ":"), let port = UInt16(to[to.index(after: colon)...]), port != 0,
              !to[to.index(after: colon)...].contains("/")
        else { throw UsageError("--to \(String(reflecting: to)): expected [NODE/]ID:PORT with PORT from 1 to 65535") }
        target = try Locator(parsing: String(to[..<colon]))
        targetPort = port
        if let asText {
            from = try LinkTarget.source(asText, option: "--as")
        }
    }

    public func validate() throws(UsageError) {
        try options.validate()
        try source.validate()
        try target.validate()
        if source.node == nil && options.nodes.count > 1 {
            throw UsageError("link acts on one source node: write it as NODE/ID, or give one --node")
        }
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let output = context.output
        var directory = NodeDirectory(environment: context.environment)
        let sourceNode: NodeTarget
        let targetNode: NodeTarget
        let sourceOptions: ConnectOptions
        let targetOptions: ConnectOptions
        do {
            sourceNode = try source.node == nil ? options.targets(environment: context.environment, directory: &directory)[0]
                : source.resolve(&directory)
            targetNode = try target.node == nil ? sourceNode : target.resolve(&directory)
            var read: [String?: ConnectOptions] = [:]
            sourceOptions = try options.connectOptions(for: sourceNode, memo: &read)
            targetOptions = try options.connectOptions(for: targetNode, memo: &read)
        } catch {
            return context.reportSetupFailure(error, "berth link")
        }

        let targetID = target.id, port = targetPort
        // FanOut with one node: the same per-node deadline as every other command.
        let asked = await FanOut.run([(targetNode.address, targetOptions)], timeout: options.timeout + .seconds(1)) { client in
            try await LinkCommand.endpoint(of: targetID, port: port, on: targetNode, client: client)
        }
        let resolved: (host: String, port: UInt16)
        switch asked[0].result {
        case .success(let endpoint):
            guard let host = endpoint.host else {
                return fail(ClientError(.unsupported, "\(targetNode.name) reports no address other hosts can reach it by; give its alias host=ADDR in the node config"),
                            node: targetNode, output)
            }
            resolved = (host, endpoint.port)
        case .failure(let error): return fail(error, node: targetNode, output)
        }

        let from = self.from ?? ("127.0.0.1", targetPort)
        let link = LinkSpec(fromHost: from.host, fromPort: from.port, toHost: resolved.host, toPort: resolved.port)
        let sourceID = source.id
        // One call: the node reads, replaces and writes under the container's lock.
        let set = await FanOut.run([(sourceNode.address, sourceOptions)], timeout: options.timeout + .seconds(1)) { client in
            try await client.ask(.containerLinksAdd, ContainerLinkAddParams(id: sourceID, link: link), as: ContainerLinksResult.self)
        }
        let result: ContainerLinksResult
        switch set[0].result {
        case .success(let value): result = value
        case .failure(let error): return fail(error, node: sourceNode, output)
        }
        if options.json {
            output.print(encodeParams(result).description)
        } else {
            output.print("linked \(sourceNode.name)/\(sourceID) \(NetworkLink.hostPort(from.host, from.port)) -> \(NetworkLink.hostPort(resolved.host, resolved.port)) (\(targetNode.name)/\(targetID):\(targetPort))")
        }
        return .success
    }

    /// Where a link reaches a container's internal port from another host (no host: the node
    /// reported none other hosts can use).
    struct Endpoint: Sendable {
        var host: String?
        var port: UInt16
    }

    /// Asks the target's node for the host port of `port` and, when needed, its addresses.
    static func endpoint(of id: String, port: UInt16, on node: NodeTarget, client: NodeClient) async throws -> Endpoint {
        let ports = try await client.ask(.containerPorts, ContainerRefParams(id: id), as: ContainerPortsResult.self)
        let external = try LinkTarget.externalPort(of: port, in: ports.ports, id: id, node: node)
        guard LinkTarget.needsInfo(node) else { return Endpoint(host: LinkTarget.reachHost(node, info: nil), port: external) }
        let info = try await client.ask(.nodeInfo, NoParams(), as: NodeInfo.self)
        return Endpoint(host: LinkTarget.reachHost(node, info: info), port: external)
    }

    private func fail(_ error: any Error, node: NodeTarget, _ output: CommandOutput) -> ExitCode {
        LinkCommand.fail("link", error, node: node, output)
    }

    /// Prints `berth VERB: NODE: message` (the node named once) and gives the exit code of `error`.
    static func fail(_ verb: String, _ error: any Error, node: NodeTarget, _ output: CommandOutput) -> ExitCode {
        let message = CommandContext.describe(error)
        output.printError("berth \(verb): " + (message.contains(node.address.description) ? "" : "\(node.name): ") + message)
        return CommandContext.exitCode(for: error)
    }
}
