import BerthCore
import BerthProtocol

/// `berth unlink [NODE/]ID --from ADDR:PORT`
public struct UnlinkCommand: BerthCommand {
    public static let spec = CommandSpec(
        "unlink", abstract: "Remove one of a container's links (live; the others stay).",
        arguments: [ArgumentSpec("[NODE/]ID", noun: "the container to unlink ([NODE/]ID)", help: "the container that connects (NODE: an alias or address; default --node)")],
        options: [
            OptionSpec("--from", value: "ADDR:PORT", help: """
                the address the link is from, as `berth link --as` gave it
                (127.0.0.1:PORT by default there; [v6]:PORT for IPv6)
                """),
        ],
        discussion: """
        Removes the container's link from ADDR:PORT on its node (container.links.remove) in one step,
        keeping every other link; a running container loses it at once. A container with no link from
        ADDR:PORT is an error (not_found) and nothing changes.
        """)
    var options = GlobalOptions()
    var source: Locator
    var from: (host: String, port: UInt16)

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        options = try GlobalOptions(parsed)
        guard let fromText = parsed.value("--from") else {
            throw UsageError("missing --from ADDR:PORT (the link's address, as `berth link --as` gave it)")
        }
        source = try Locator(parsing: parsed.positionals[0])
        from = try LinkTarget.source(fromText, option: "--from")
    }

    public func validate() throws(UsageError) {
        try options.validate()
        try source.validate()
        if source.node == nil && options.nodes.count > 1 {
            throw UsageError("unlink acts on one node: write the container as NODE/ID, or give one --node")
        }
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let output = context.output
        var directory = NodeDirectory(environment: context.environment)
        let node: NodeTarget
        let connect: ConnectOptions
        do {
            node = try source.node == nil ? options.targets(environment: context.environment, directory: &directory)[0]
                : source.resolve(&directory)
            var read: [String?: ConnectOptions] = [:]
            connect = try options.connectOptions(for: node, memo: &read)
        } catch {
            return context.reportSetupFailure(error, "berth unlink")
        }
        let params = ContainerLinkRemoveParams(id: source.id, fromHost: from.host, fromPort: from.port)
        let removed = await FanOut.run([(node.address, connect)], timeout: options.timeout + .seconds(1)) { client in
            try await client.ask(.containerLinksRemove, params, as: ContainerLinksResult.self)
        }
        switch removed[0].result {
        case .success(let result):
            if options.json {
                output.print(encodeParams(result).description)
            } else {
                output.print("unlinked \(node.name)/\(source.id) \(NetworkLink.hostPort(from.host, from.port)) (\(result.links.count) link\(result.links.count == 1 ? "" : "s") left)")
            }
            return .success
        case .failure(let error):
            return LinkCommand.fail("unlink", error, node: node, output)
        }
    }
}
