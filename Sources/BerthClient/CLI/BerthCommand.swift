import BerthProtocol

/// One `berth` subcommand: declared by its `spec`, parsed from it, validated, then run.
public protocol BerthCommand: Sendable {
    /// Its name, arguments, options and help, from which parsing, `--help` and completions come.
    static var spec: CommandSpec { get }
    /// Takes the parsed command line (`spec.parse` already refused unknown options and a wrong
    /// number of arguments).
    init(_ parsed: ParsedArguments) throws(UsageError)
    /// Checks everything that can be checked without a node.
    func validate() throws(UsageError)
    /// Runs; writes to `context.output` and returns the exit status.
    func run(_ context: CommandContext) async -> ExitCode
}

extension BerthCommand {
    /// The words that select it, as in `node info`.
    public static var name: String { spec.name }
    /// One line for the command list.
    public static var abstract: String { spec.abstract }
    /// The usage line, printed with every usage error.
    public static var usage: String { spec.usage }
    /// The full `--help` text.
    public static var helpText: String { spec.helpText }

    /// Parses the arguments after the command's name.
    public init(arguments: [String]) throws(UsageError) { try self.init(Self.spec.parse(arguments)) }
}

/// What a running command may use: its environment and its output.
public struct CommandContext: Sendable {
    public var environment: [String: String]
    public var output: CommandOutput
    /// The commands `berth` knows, in the order of the command list: the client's, and those of
    /// modules the executable links (`berth agent`). Help and completions list these.
    public var commands: [any BerthCommand.Type]

    public init(environment: [String: String], output: CommandOutput, commands: [any BerthCommand.Type] = BerthCLI.commands) {
        self.environment = environment
        self.output = output
        self.commands = commands
    }
}

/// The answer to one call, with what it was about (a container id for commands taking several).
struct CallOutcome: Sendable {
    var label: String?
    var result: Result<JSONValue, any Error>
}

extension CommandContext {
    /// Runs the calls `plan` gives on every node of `options` in parallel (each node's one after
    /// another) and reports: successes through `render` (or as JSON with `--json`), failures on
    /// standard error as `berth: [NODE: ]kind: message`. The exit status is the worst outcome.
    ///
    /// With `locators`, each `NODE/ID` goes to its node only and bare ids to the `--node` nodes;
    /// `plan` gets the ids meant for its node, in command-line order. `adjust` may rewrite an
    /// answer before it is rendered (with its round trip at hand). `render` gets the node (only
    /// when several were asked): tables name it as the user did (`NodeTarget.name`: the alias, or
    /// the address as typed), lines and errors by its address.
    func runOnNodes(_ options: GlobalOptions, locators: [Locator]? = nil,
                    plan: (_ ids: [String]) -> [PlannedCall],
                    adjust: ((inout CallOutcome, CallAnswer) -> Void)? = nil,
                    render: (JSONValue, _ label: String?, _ node: NodeTarget?) throws -> [String]) async -> ExitCode {
        let assigned: [(target: NodeTarget, ids: [String])]
        var nodes: [(address: NodeAddress, options: ConnectOptions, calls: [PlannedCall])] = []
        var targets: [NodeAddress: NodeTarget] = [:]
        do {
            assigned = try Self.assign(locators, options: options, environment: environment)
            var read: [String?: ConnectOptions] = [:]
            for (target, ids) in assigned {
                nodes.append((target.address, try options.connectOptions(for: target, memo: &read), plan(ids)))
                targets[target.address] = target
            }
        } catch {
            return reportSetupFailure(error, "berth")
        }
        let addresses = nodes.map(\.address)
        let exchanged = await FanOut.exchange(nodes, timeout: options.timeout + .seconds(1),
                                             agent: options.agentRoute(environment: environment, output: output))
        let outcomes = exchanged.map { node in
            NodeOutcome(address: node.address, result: node.result.map { answers in
                answers.map { answer in
                    var outcome = CallOutcome(answer, from: node.address)
                    adjust?(&outcome, answer)
                    return outcome
                }
            })
        }
        let several = addresses.count > 1
        var codes: [ExitCode] = []
        var jsonItems: [JSONValue] = []
        for outcome in outcomes {
            let target = targets[outcome.address] ?? NodeTarget(name: outcome.address.description, address: outcome.address)
            let prefix = several ? "\(outcome.address): " : ""
            switch outcome.result {
            case .failure(let error):
                codes.append(Self.exitCode(for: error))
                let message = Self.describe(error)
                // Our own errors already name the node.
                output.printError("berth: " + (message.contains(outcome.address.description) ? "" : prefix) + message)
                jsonItems.append(.object(["node": .string(outcome.address.description), "error": Self.errorJSON(error)]))
            case .success(let calls):
                for call in calls {
                    var item: [String: JSONValue] = ["node": .string(outcome.address.description)]
                    if let label = call.label { item["id"] = .string(label) }
                    switch call.result {
                    case .failure(let error):
                        codes.append(Self.exitCode(for: error))
                        output.printError("berth: " + prefix + (call.label.map { "\($0): " } ?? "") + Self.describe(error))
                        for line in Self.failureLog(error) { output.printError(line) }
                        item["error"] = Self.errorJSON(error)
                    case .success(let value):
                        codes.append(.success)
                        item["result"] = value
                        if !options.json {
                            do {
                                for line in try render(value, call.label, several ? target : nil) { output.print(line) }
                            } catch {
                                codes.append(.failure)
                                output.printError("berth: " + prefix + "unexpected answer: \(error)")
                            }
                        }
                    }
                    jsonItems.append(.object(item))
                }
            }
        }
        if options.json { printJSON(jsonItems, several: several) }
        return Self.worst(codes)
    }

    /// One `ContainerRefParams` call for the first container the arguments name, on its node(s),
    /// each answer decoded as `T` and rendered (`berth status`, `berth ports`).
    func runContainerQuery<T: Decodable>(_ arguments: IDArguments, _ method: MethodName, as type: T.Type,
                                         render: (T, _ node: NodeTarget?) throws -> [String]) async -> ExitCode {
        let id = arguments.locators[0].id
        return await runOnNodes(arguments.options, locators: arguments.locators,
                                plan: { _ in [PlannedCall(method, params: encodeParams(ContainerRefParams(id: id)))] },
                                render: { value, _, node in try render(try JSONValueDecoder().decode(T.self, from: value), node) })
    }

    /// One node and one call: the bare result (or nothing; the error went to stderr). Otherwise an
    /// array of `{node, id?, result | error}`.
    private func printJSON(_ items: [JSONValue], several: Bool) {
        if !several, items.count == 1, case .object(let members) = items[0], members["id"] == nil {
            if let result = members["result"] { output.print(result.description) }
            return
        }
        output.print(JSONValue.array(items).description)
    }

    /// Which ids go to which node (see `runOnNodes(_:locators:_:render:)`).
    static func assign(_ locators: [Locator]?, options: GlobalOptions,
                       environment: [String: String]) throws -> [(target: NodeTarget, ids: [String])] {
        var directory = NodeDirectory(environment: environment)
        guard let locators else { return try options.targets(environment: environment, directory: &directory).map { ($0, []) } }
        var plan: [(target: NodeTarget, ids: [String])] = []
        func add(_ target: NodeTarget, _ id: String) {
            if let index = plan.firstIndex(where: { $0.target.address == target.address }) {
                plan[index].ids.append(id)
            } else {
                plan.append((target, [id]))
            }
        }
        // Bare ids go to the --node nodes only when some are given: `berth start h1/web` alone
        // must not also reach the default node.
        let defaults = locators.contains { $0.node == nil } ? try options.targets(environment: environment, directory: &directory) : []
        for locator in locators {
            if let node = locator.node {
                do { add(try directory.resolve(node), locator.id) } catch { throw UsageError("\(locator): \(error.message)") }
            } else {
                for target in defaults { add(target, locator.id) }
            }
        }
        return plan
    }

    static func worst(_ codes: [ExitCode]) -> ExitCode {
        if codes.isEmpty || codes.allSatisfy({ $0 == .success }) { return .success }
        let failures = codes.filter { $0 != .success }
        if failures.count == codes.count, Set(failures).count == 1 { return failures[0] }
        return .failure
    }

    static func exitCode(for error: any Error) -> ExitCode {
        guard let error = error as? ClientError else { return .failure }
        switch error.code {
        case .unreachable: return .unreachable
        case .unsupported: return .unavailable
        case .authenticationFailed: return .noPermission
        default: return .failure
        }
    }

    /// Reports a failure to prepare a command (a usage error, a secret file that cannot be read) as
    /// `PREFIX: message` on standard error and returns its exit status; other errors exit `otherwise`.
    func reportSetupFailure(_ error: any Error, _ prefix: String, otherwise: ExitCode = .failure) -> ExitCode {
        switch error {
        case let error as UsageError:
            output.printError("\(prefix): \(error.message)")
            return .usage
        case let error as CommandFailure:
            output.printError("\(prefix): \(error.message)")
            return error.code
        default:
            output.printError("\(prefix): \(error)")
            return otherwise
        }
    }

    /// `not_found: no container "web"` for the node's errors; the message for ours.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as RPCError: return "\(error.kind): \(error.message)"
        case let error as ClientError: return error.message
        default: return "\(error)"
        }
    }

    /// The last log lines a node's error carries (`data.log` of a start that failed), indented under
    /// the error line as `berth logs` prints them; nothing for other errors.
    static func failureLog(_ error: any Error) -> [String] {
        guard let error = error as? RPCError, let log = error.details["log"],
              let lines = try? JSONValueDecoder().decode([LogLine].self, from: log), !lines.isEmpty else { return [] }
        return ["  last lines of its log:"] + lines.map { "    " + LogsCommand.text($0) }
    }

    static func errorJSON(_ error: any Error) -> JSONValue {
        switch error {
        case let error as RPCError:
            // `data`'s extras (a failed start's `result`, `exitStatus`, `log`) for scripts, when there are any.
            var members: [String: JSONValue] = ["kind": .string(error.kind.rawValue), "message": .string(error.message)]
            if !error.details.isEmpty { members["data"] = .object(error.details) }
            return .object(members)
        case let error as ClientError: return .object(["kind": .string("client." + error.code.description), "message": .string(error.message)])
        default: return .object(["kind": .string("client.error"), "message": .string("\(error)")])
        }
    }
}

extension CallOutcome {
    /// A node's answer as the commands see it: its error, or its result as JSON.
    init(_ answer: CallAnswer, from node: NodeAddress) {
        label = answer.call.label
        if let error = answer.response.error {
            result = .failure(error)
        } else if let value = answer.response.result {
            result = .success(value)
        } else {
            result = .failure(ClientError(.protocolViolation, "\(node) answered \(answer.call.method) with a result that is not JSON"))
        }
    }
}

/// Encodes wire params for a call.
func encodeParams(_ params: some Encodable) -> JSONValue {
    // The param types are plain Codable structs; encoding them cannot fail.
    (try? JSONValueEncoder().encode(params)) ?? .object([:])
}

/// The params of methods that take none.
struct NoParams: Encodable, Sendable {}
