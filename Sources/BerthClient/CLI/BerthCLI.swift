/// The `berth` command line: finds the subcommand, handles `--help`, parses, validates, runs.
public enum BerthCLI {
    /// The client's subcommands, in the order of the command list (`completion` last).
    public static let commands: [any BerthCommand.Type] = commands(adding: [])

    /// The client's subcommands with `extra` (another module's, such as `berth agent`) listed
    /// before `completion`, which stays last.
    public static func commands(adding extra: [any BerthCommand.Type]) -> [any BerthCommand.Type] {
        [
            PingCommand.self, NodeInfoCommand.self,
            InstallCommand.self, StartCommand.self, StopCommand.self, RestartCommand.self, RemoveCommand.self,
            PsCommand.self, StatusCommand.self, PortsCommand.self, EnvCommand.self, LinkCommand.self, UnlinkCommand.self, DeployCommand.self,
            LogsCommand.self, EventsCommand.self, BridgeCommand.self,
        ] + extra + [CompletionCommand.self]
    }

    public static let usage = "berth COMMAND [OPTIONS] [ARGS...]"

    public static func helpText(_ commands: [any BerthCommand.Type]) -> String {
        // Closures, not key paths: a key path through an existential metatype crashes SILGen (6.3.1).
        let names = commands.map { $0.name }
        let width = names.map { $0.count }.max() ?? 0
        let list = commands.map { command in
            "  " + command.name + String(repeating: " ", count: width - command.name.count + 2) + command.abstract
        }
        return """
            berth: run containers as systemd units on Berth nodes.

            USAGE: \(usage)

            COMMANDS:
            \(list.joined(separator: "\n"))

            Run `berth COMMAND --help` for a command's options.

            \(GlobalOptions.helpText)

            \(ExitCode.helpText)

            """
    }

    /// Runs `berth` with `arguments` (without the program name) and returns the exit status.
    public static func main(_ arguments: [String], context: CommandContext) async -> ExitCode {
        let output = context.output
        // Shared options may also come before the command (`berth --node ssh://host ps`): they are
        // moved behind the command's words, where every command parses them.
        var arguments = arguments
        var leading: [String] = []
        while let option = arguments.first {
            let name = option.split(separator: "=", maxSplits: 1).first.map(String.init) ?? option
            guard let spec = GlobalOptions.specs.first(where: { $0.names.contains(name) }) else { break }
            let width = spec.takesValue && !option.contains("=") ? 2 : 1
            guard arguments.count >= width else { break }
            leading += arguments.prefix(width)
            arguments.removeFirst(width)
        }
        if !leading.isEmpty, let (command, _) = find(arguments, in: context.commands) {
            let words = command.name.split(separator: " ").count
            arguments = Array(arguments.prefix(words)) + leading + Array(arguments.dropFirst(words))
        } else if !leading.isEmpty && arguments.isEmpty {
            arguments = leading  // reported below as an unknown command, naming the option
        }
        guard let first = arguments.first else {
            output.printError("berth: missing command\nUSAGE: \(usage)\nRun `berth --help` for the list of commands.")
            return .usage
        }
        if ["-h", "--help", "help"].contains(first) {
            output.print(helpText(context.commands))
            return .success
        }
        guard let (command, rest) = find(arguments, in: context.commands) else {
            let subcommands = context.commands.map { $0.name }.filter { $0.hasPrefix(first + " ") }
            if !subcommands.isEmpty {
                output.printError("berth: \(first) needs a subcommand: \(subcommands.joined(separator: ", "))\nUSAGE: berth \(subcommands[0]) [OPTIONS]")
                return .usage
            }
            output.printError("berth: unknown command \(String(reflecting: first))\nUSAGE: \(usage)\nRun `berth --help` for the list of commands.")
            return .usage
        }
        let options = rest.prefix { $0 != "--" }
        if options.contains("--help") || options.contains("-h") {
            output.print(command.helpText)
            return .success
        }
        do {
            let parsed = try command.init(arguments: Array(rest))
            try parsed.validate()
            return await parsed.run(context)
        } catch {
            output.printError("berth \(command.name): \(error.message)\nUSAGE: \(command.usage)")
            return .usage
        }
    }

    /// The command whose words start `arguments`, and the arguments after them.
    static func find(_ arguments: [String], in commands: [any BerthCommand.Type]) -> (any BerthCommand.Type, ArraySlice<String>)? {
        for command in commands {
            let words = command.name.split(separator: " ").map(String.init)
            if arguments.starts(with: words) { return (command, arguments.dropFirst(words.count)) }
        }
        return nil
    }
}
