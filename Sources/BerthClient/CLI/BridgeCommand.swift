import BerthSystem

/// `berth bridge`: joins standard input and output to the node's Unix socket.
public struct BridgeCommand: BerthCommand {
    public static let name = "bridge"
    public static let abstract = "Join stdin/stdout to the node's Unix socket (what ssh:// nodes run remotely)."
    public static let usage = "berth bridge [--node unix:PATH] [--timeout SECONDS]"
    public static let details = """
        Reads protocol lines from standard input and writes the node's answers to standard output
        until the node closes the connection. End of input half-closes the socket, so answers to what
        was sent still arrive. Only unix: addresses make sense here.

        """ + GlobalOptions.helpText
    var arguments: IDArguments

    public init(arguments: [String]) throws(UsageError) { self.arguments = try IDArguments(arguments) }

    public func validate() throws(UsageError) {
        try arguments.validate(minimum: 0, maximum: 0)
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
