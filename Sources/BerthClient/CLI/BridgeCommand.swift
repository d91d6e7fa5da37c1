import BerthSystem

/// `berth bridge`: joins standard input and output to the node's Unix socket.
public struct BridgeCommand: BerthCommand {
    public static let spec = CommandSpec(
        "bridge", abstract: "Join stdin/stdout to the node's Unix socket (what ssh:// nodes run remotely).",
        discussion: """
            Reads protocol lines from standard input and writes the node's answers to standard output
            until the node closes the connection. End of input half-closes the socket, so answers to what
            was sent still arrive. Only unix: addresses (one --node) make sense here.
            """)
    var arguments: IDArguments

    public init(_ parsed: ParsedArguments) throws(UsageError) { arguments = try IDArguments(parsed) }

    public func validate() throws(UsageError) {
        try arguments.validate()
        if arguments.options.nodes.count > 1 { throw UsageError("bridge joins one node; give at most one --node") }
        if arguments.options.json { throw UsageError("bridge passes bytes through; --json does not apply") }
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let address: NodeAddress
        do { address = try arguments.options.addresses(environment: context.environment)[0] } catch {
            context.output.printError("berth bridge: \(error.message)")
            return .usage
        }
        guard case .unix(let path) = address else {
            context.output.printError("berth bridge: \(address) is not a unix: address; bridge runs on the node's host")
            return .usage
        }
        do {
            try await Bridge.run(socketPath: path, connectTimeout: arguments.options.timeout)
            return .success
        } catch let error as ClientError {
            context.output.printError("berth bridge: \(error.message)")
            return CommandContext.exitCode(for: error)
        } catch {
            context.output.printError("berth bridge: \(error)")
            return .failure
        }
    }
}
