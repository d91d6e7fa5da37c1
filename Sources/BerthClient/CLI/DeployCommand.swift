import BerthProtocol
import BerthSystem

/// `berth deploy FILE [--plan] [--state FILE]`
public struct DeployCommand: BerthCommand {
    public static let spec = CommandSpec(
        "deploy", abstract: "Deploy an application descriptor across nodes; a redeploy changes only what changed.",
        arguments: [ArgumentSpec("FILE", completion: .file, noun: "the descriptor FILE", help: "the descriptor (JSON; docs/deploy.md, Protocol/deploy.schema.json)")],
        options: [
            OptionSpec("--plan", help: "print the changes (one a line) and make none"),
            OptionSpec("--state", value: "STATEFILE", completion: .file,
                       help: "what the last deploy made (default: FILE without .json, plus .state.json)"),
        ],
        discussion: """
            With --node ADDR|ALIAS (repeatable), services are placed on those nodes instead of the
            descriptor's top-level nodes.

            Changes run in phases: remove, install, link, start; nodes in parallel within a phase. The state
            file is rewritten after each phase; after a failure, running the deploy again does what is left.
            """)
    var options = GlobalOptions()
    var file: String
    var statePath: String
    var planOnly = false

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        options = try GlobalOptions(parsed)
        planOnly = parsed.flag("--plan")
        file = parsed.positionals[0]
        statePath = parsed.value("--state") ?? DeployCommand.defaultStatePath(for: file)
        if statePath.isEmpty { throw UsageError("--state needs a file name") }
    }

    public func validate() throws(UsageError) { try options.validate() }

    /// `app.json` -> `app.state.json`; anything else gets `.state.json` appended.
    static func defaultStatePath(for file: String) -> String {
        (file.hasSuffix(".json") ? String(file.dropLast(5)) : file) + ".state.json"
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let output = context.output
        let descriptor: DeployDescriptor
        let state: DeployState
        do {
            let bytes: [UInt8]
            do { bytes = try FileSystem.read(file, limit: 4 << 20) } catch { throw DeployError("cannot read \(file): \(error)") }
            descriptor = try DeployDescriptor.parse(bytes, nodesGiven: !options.nodes.isEmpty)
            state = try DeployState.load(statePath)
        } catch {
            output.printError("berth deploy: \(file): \(error)")
            return .noInput
        }
        let plan = DeployPlan(descriptor: descriptor, state: state, nodes: options.nodes.isEmpty ? nil : options.nodes)
        if planOnly {
            if options.json {
                output.print(JSONValue.object(["actions": encodeParams(plan.actions)]).description)
            } else {
                plan.render().forEach(output.print)
            }
            return .success
        }
        if plan.isEmpty {
            if options.json { output.print(encodeParams(state).description) } else { output.print("no changes") }
            return .success
        }
        var directory = NodeDirectory(environment: context.environment)
        var nodes: [String: (target: NodeTarget, options: ConnectOptions)] = [:]
        do {
            // Nodes with steps must resolve; the others are only needed as link targets, and a
            // missing one there is reported by the link step that needs it.
            let needed = Set(plan.actions.map(\.node))
            var read: [String?: ConnectOptions] = [:]
            for name in needed.union(state.instances.map(\.node)) where nodes[name] == nil {
                let target: NodeTarget
                do { target = try directory.resolve(name) } catch {
                    if needed.contains(name) { throw UsageError("node \(String(reflecting: name)): \(error.message)") }
                    continue
                }
                nodes[name] = (target, try options.connectOptions(for: target, memo: &read))
            }
        } catch {
            return context.reportSetupFailure(error, "berth deploy", otherwise: .usage)
        }
        let path = statePath
        let json = options.json
        let executor = DeployExecutor(nodes: nodes, timeout: options.timeout)
        let (final, ok) = await executor.run(plan, from: state, save: { try $0.save(path) },
                                             say: { if !json { output.print($0) } },
                                             complain: { output.printError("berth deploy: \($0)") })
        if json { output.print(encodeParams(final).description) }
        if !ok { output.printError("berth deploy: stopped; the state file \(path) records what was done, and running the deploy again does the rest") }
        return ok ? .success : .failure
    }
}
