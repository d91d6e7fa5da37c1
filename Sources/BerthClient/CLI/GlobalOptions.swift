import BerthProtocol
import BerthSystem

/// The options every command that talks to nodes takes.
public struct GlobalOptions: Hashable, Sendable {
    /// `--node` values as given (repeatable); empty means BERTH_NODE or the default socket.
    public var nodes: [String] = []
    public var secretFile: String?
    /// `--timeout` in seconds, for connecting and for each call.
    public var timeoutSeconds: Double = 30
    public var json = false
    /// `--agent PATH` as given; nil leaves it to BERTH_AGENT, empty means no agent.
    public var agent: String?
    /// `--tcp-plain`: TCP without the secure channel, for tests against `berthd --tcp-plain`.
    public var tcpPlain = false

    public init() {}

    /// The node options, declared once for every command that talks to nodes.
    public static let specs: [OptionSpec] = [
        OptionSpec("--node", value: "ADDR|ALIAS", repeatable: true, help: """
            unix:PATH, tcp://HOST:PORT, ssh://[USER@]HOST[:PORT] or an alias of the node
            config ($BERTH_CONFIG, else ~/.config/berth/nodes); repeat for several
            nodes (default: $BERTH_NODE, else unix:/run/berth/berthd.sock)
            """),
        OptionSpec("--secret-file", value: "FILE", completion: .file, help: "shared secret for tcp:// nodes"),
        OptionSpec("--timeout", value: "SECONDS", help: "per node and per call (default 30)"),
        OptionSpec("--agent", value: "PATH", completion: .file, help: """
            send tcp:// nodes' calls through `berth agent` listening at PATH, which
            keeps node connections open between commands (default: $BERTH_AGENT;
            '' for none); without a running agent berth connects directly
            """),
        OptionSpec("--json", help: "machine-readable output"),
        OptionSpec("--tcp-plain", help: """
            talk to tcp:// nodes without the secure channel (frames in clear and
            unprotected), as berthd --tcp-plain does: for tests only
            """),
    ]

    static let helpText = CommandSpec.section("NODE OPTIONS", specs.map { ($0.label, $0.help) } + [("-h, --help", "show this help")])

    /// The node options of a parsed command line.
    init(_ parsed: ParsedArguments) throws(UsageError) {
        nodes = parsed.values("--node")
        secretFile = parsed.value("--secret-file")
        if let text = parsed.value("--timeout") {
            guard let seconds = Double(text), seconds > 0, seconds <= 86_400 else {
                throw UsageError("--timeout must be a number of seconds above 0, got \(String(reflecting: text))")
            }
            timeoutSeconds = seconds
        }
        json = parsed.flag("--json")
        agent = parsed.value("--agent")
        tcpPlain = parsed.flag("--tcp-plain")
    }

    /// Every `--node` parses as an address or is a plausible alias name (aliases are looked up
    /// when the command runs).
    func validate() throws(UsageError) {
        for node in nodes {
            if NodeTarget.looksLikeAddress(node) {
                do { _ = try NodeAddress(parsing: node) } catch { throw UsageError(error.description) }
            } else if !NodeAliases.isValidName(node) {
                throw UsageError("--node \(String(reflecting: node)) is neither a node address (unix:PATH, tcp://HOST:PORT, ssh://[USER@]HOST[:PORT]) nor an alias name")
            }
        }
    }

    /// The nodes to talk to: `--node` values (addresses or aliases), else `BERTH_NODE`, else the
    /// default socket. The same address named twice is asked once.
    func targets(environment: [String: String], directory: inout NodeDirectory) throws(UsageError) -> [NodeTarget] {
        var texts = nodes
        if texts.isEmpty {
            guard let text = environment["BERTH_NODE"], !text.isEmpty else {
                return [NodeTarget(name: "unix:" + NodeAddress.defaultSocketPath, address: .unix(path: NodeAddress.defaultSocketPath))]
            }
            texts = [text]
        }
        var seen = Set<NodeAddress>()
        var targets: [NodeTarget] = []
        for text in texts {
            do {
                let target = try directory.resolve(text)
                if seen.insert(target.address).inserted { targets.append(target) }
            } catch { throw UsageError(error.description + (nodes.isEmpty ? " (from BERTH_NODE)" : "")) }
        }
        return targets
    }

    /// The addresses of `targets(environment:directory:)`.
    func addresses(environment: [String: String]) throws(UsageError) -> [NodeAddress] {
        var directory = NodeDirectory(environment: environment)
        return try targets(environment: environment, directory: &directory).map(\.address)
    }

    var timeout: Duration { .milliseconds(Int64(timeoutSeconds * 1000)) }

    /// The agent to send tcp:// nodes through: `--agent`, else `BERTH_AGENT`; none when empty.
    /// Warnings (the agent cannot be reached) go to `output`'s standard error.
    func agentRoute(environment: [String: String], output: CommandOutput) -> AgentRoute? {
        let path = agent ?? environment["BERTH_AGENT"] ?? ""
        guard !path.isEmpty else { return nil }
        return AgentRoute(path: path) { output.printError($0) }
    }

    /// Connect options with the secret read from `--secret-file`.
    func connectOptions() throws(CommandFailure) -> ConnectOptions {
        try connectOptions(secretFile: secretFile)
    }

    /// Connect options for one node: its alias's secret file wins over `--secret-file`. `memo` keeps
    /// what was read, by path, so a command reads each secret file once (a fan-out over 64 TCP nodes
    /// read the one --secret-file 64 times).
    func connectOptions(for target: NodeTarget, memo: inout [String?: ConnectOptions]) throws(CommandFailure) -> ConnectOptions {
        let file = target.secretFile ?? secretFile
        if let known = memo[file] { return known }
        let options = try connectOptions(secretFile: file)
        memo[file] = options
        return options
    }

    private func connectOptions(secretFile: String?) throws(CommandFailure) -> ConnectOptions {
        var options = ConnectOptions(connectTimeout: timeout, callTimeout: timeout)
        options.tcpPlain = tcpPlain
        if let secretFile {
            do {
                options.secret = try AuthSecret(fileContents: FileSystem.read(secretFile, limit: 64 << 10))
            } catch let error as RPCError {
                throw CommandFailure(.noInput, "secret file \(secretFile): \(error.message)")
            } catch {
                throw CommandFailure(.noInput, "cannot read the secret file \(secretFile): \(error)")
            }
        }
        return options
    }
}

/// A command that stops before any call, with its exit code.
struct CommandFailure: Error {
    let code: ExitCode
    let message: String
    init(_ code: ExitCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
