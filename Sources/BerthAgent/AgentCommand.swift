import BerthClient
import BerthProtocol
import BerthSystem

/// `berth agent`: keeps node connections open between commands (`AgentServer`).
public struct AgentCommand: BerthCommand {
    public static let spec = CommandSpec(
        "agent", abstract: "Keep tcp:// node connections open between commands (like ssh's ControlMaster).",
        options: [
            OptionSpec("--socket", value: "PATH", completion: .file, help: """
                where to listen (default: $XDG_RUNTIME_DIR/berth/agent.sock, else
                /tmp/berth-agent-UID/agent.sock; the default's directory is created 0700
                and must belong to you and be private). A socket file nobody listens on is
                replaced; one another agent listens on is not (exit 69).
                """),
            OptionSpec("--keep", value: "SECONDS", help: """
                close a node connection unused for this long (default 120, below berthd's
                default idle timeout of 300)
                """),
        ],
        nodeOptions: false,
        discussion: """
        Runs in the foreground until SIGTERM or SIGINT. Commands given `--agent PATH` (or BERTH_AGENT)
        hand their tcp:// nodes' calls to the agent, which runs them on connections it already opened
        and authenticated for that node, address and secret, so each node costs a command one request
        and one answer instead of a TCP connection and the authentication round trips. Output, errors
        and exit statuses are the same as without it. unix: and ssh:// nodes are always talked to
        directly; so are the streams of `events` and the calls of `link` and `deploy`.

        The agent holds the secrets it was handed in memory. Its socket is 0600 and it serves only its
        own user.

        Ready when it prints `berth agent: listening on PATH` on standard error. Then, in the shell
        that runs commands: export BERTH_AGENT=PATH
        """)
    var socket: String?
    var keepSeconds = 120

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        socket = try Self.socketPath(parsed)
        if let text = parsed.value("--keep") {
            guard let seconds = Int(text), seconds >= 1, seconds <= 86_400 else {
                throw UsageError("--keep must be a whole number of seconds from 1 to 86400, got \(String(reflecting: text))")
            }
            keepSeconds = seconds
        }
    }

    /// `--socket PATH`, which must not be empty.
    static func socketPath(_ parsed: ParsedArguments) throws(UsageError) -> String? {
        guard let path = parsed.value("--socket") else { return nil }
        if path.isEmpty { throw UsageError("option --socket needs a path") }
        return path
    }

    public func validate() throws(UsageError) {
        if let socket {
            do { try SocketAddress.unix(path: socket).withSockAddr { _, _ in } } catch {
                throw UsageError("--socket \(String(reflecting: socket)): \(error)")
            }
        }
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let output = context.output
        let path = socket ?? AgentServer.defaultSocketPath(environment: context.environment)
        if socket == nil {
            do { try Self.preparePrivateDirectory(FileSystem.directoryName(of: path)) } catch {
                output.printError("berth agent: \(error)")
                return .unavailable
            }
        }
        let signals: AsyncStream<Signal>
        let server: AgentServer
        do {
            signals = try Signals.stream([.terminate, .interrupt, .hangup])
            server = try AgentServer(AgentServer.Configuration(socketPath: path, keep: .seconds(keepSeconds)))
        } catch let error as SocketError where error.code == .addressInUse {
            output.printError("berth agent: another agent (or another program) is already listening on \(path)")
            return .unavailable
        } catch {
            output.printError("berth agent: cannot listen on \(path): \(error)")
            return .unavailable
        }
        output.printError("berth agent: listening on \(path)")
        return await withTaskGroup(of: ExitCode.self) { group in
            group.addTask {
                do {
                    try await DedicatedThread.run(name: "berth-agent") { try server.serve() }
                    return .success
                } catch {
                    output.printError("berth agent: stopped: \(error)")
                    return .failure
                }
            }
            group.addTask {
                for await signal in signals {
                    if signal == .hangup {
                        // The secrets changed: kept connections authenticate again on next use.
                        output.printError("berth agent: SIGHUP: kept connections will authenticate again")
                        server.reauthenticate()
                        continue
                    }
                    server.stop()
                    break
                }
                return .success
            }
            let first = await group.next() ?? .success
            server.stop()  // whichever ended first, the other follows
            group.cancelAll()
            return first
        }
    }

    /// The default socket's directory: created 0700 when missing; refused when it is not a
    /// directory of our own that nobody else may enter (another user could swap the socket).
    static func preparePrivateDirectory(_ directory: String) throws {
        try FileSystem.createDirectory(directory, mode: 0o700)
        let info = try FileSystem.info(directory, followingLinks: false)
        guard info.kind == .directory, info.ownerID == Processes.currentUserID, info.permissions & 0o077 == 0 else {
            throw SocketError(.notASocket, "\(directory) must be a directory of your own that only you can use (mode 0700); refusing to listen in it")
        }
    }
}

/// `berth agent status`: whether an agent answers, and its connections.
public struct AgentStatusCommand: BerthCommand {
    public static let spec = CommandSpec(
        "agent status", abstract: "Show whether a berth agent answers, and its node connections.",
        options: [
            OptionSpec("--socket", value: "PATH", completion: .file, help: """
                the agent's socket (default: $BERTH_AGENT, else the default of
                `berth agent`)
                """),
            OptionSpec("--json", help: "agent.info as JSON"),
        ],
        nodeOptions: false,
        discussion: """
            Asks the agent for agent.info and prints its pid, its node connections (idle and busy now;
            opened and reused since it started) and how long it keeps idle ones. Exit 2 when no agent
            answers.
            """)
    var socket: String?
    var json = false

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        socket = try AgentCommand.socketPath(parsed)
        json = parsed.flag("--json")
    }

    public func validate() throws(UsageError) {}

    public func run(_ context: CommandContext) async -> ExitCode {
        let environment = context.environment
        let path = socket ?? environment["BERTH_AGENT"].flatMap { $0.isEmpty ? nil : $0 }
            ?? AgentServer.defaultSocketPath(environment: environment)
        let info: JSONValue
        do {
            // The agent speaks JSON-RPC lines on a Unix socket, as a node does: NodeClient talks to it.
            let options = ConnectOptions(connectTimeout: .seconds(5), callTimeout: .seconds(5))
            let response = try await NodeClient.withConnection(to: .unix(path: path), options: options) { client in
                try await client.send(AgentProtocol.info, params: nil)
            }
            if let error = response.error { throw error }
            guard let result = response.result else { throw ClientError(.protocolViolation, "agent.info answered without a result") }
            info = result
        } catch {
            context.output.printError("berth agent status: no berth agent answers at \(path): \(error)")
            return .unreachable
        }
        if json {
            context.output.print(info.description)
            return .success
        }
        let connections = info["connections"]
        func number(_ value: JSONValue?) -> Int64 { value?.intValue ?? 0 }
        let idle = number(connections?["idle"]), busy = number(connections?["busy"])
        context.output.print("berth agent at \(path) (pid \(number(info["pid"]))): \(idle + busy) node connections open "
            + "(\(idle) idle, \(busy) busy); \(number(connections?["opened"])) opened and \(number(connections?["reused"])) "
            + "reused since it started; idle ones kept \(number(info["keepSeconds"])) s")
        return .success
    }
}
