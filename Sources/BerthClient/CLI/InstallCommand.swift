import BerthCore
import BerthProtocol
import BerthSystem

/// `berth install IMAGE ID [options] [-- COMMAND ARGS...]`
public struct InstallCommand: BerthCommand {
    public static let name = "install"
    public static let abstract = "Install a container as a systemd unit (and start it with --start)."
    public static let usage = "berth install IMAGE ID [-p PORT[:HOSTPORT]]... [-e NAME=VALUE]... [--env-file FILE] [--env-source URL] [-v HOST:CTR[:ro]]... [--slice S] [--network NET] [--socket-activated] [--isolate] [--start] [--request-id X] [-- COMMAND ARGS...]"
    public static let details = """
        ARGUMENTS:
          IMAGE                    the image to run
          ID                       the container id (letters, digits, '-', '_', '.'; see docs/cli.md)
          COMMAND ARGS...          after --: the container's command (images built from busybox have none)

        OPTIONS:
          -p, --port PORT[:HOST]   publish container PORT on HOST port; 0 or omitted lets the node pick
          -e, --env NAME=VALUE     set a variable (repeatable; later ones win over --env-file)
          --env-file FILE          read NAME=VALUE lines (systemd EnvironmentFile syntax)
          --env-source URL         where the node fetches more environment from
          -v, --volume HOST:CTR[:ro]  bind-mount an absolute host path (read-only with :ro)
          --slice SLICE            the systemd slice to run in
          --network NET            attach to this runtime network (podman network create ...)
          --socket-activated       start on the first connection to a published port
          --isolate                run in its own network namespace
          --start                  start it now (and on boot)
          --request-id X           make a retry safe: the node answers a repeated id with the first result

        """ + GlobalOptions.helpText
    var arguments: IDArguments
    var params: ContainerInstallParams

    public init(arguments: [String]) throws(UsageError) {
        var ports: [String] = []
        var env: [String] = []
        var envFile: String?
        var volumes: [String] = []
        var scalars: [String: String] = [:]
        var flags: Set<String> = []
        var command: [String]?
        var positionals: [String] = []
        var options = GlobalOptions()
        var scanner = ArgumentScanner(arguments)
        while let token = scanner.next() {
            switch token {
            case .option(let name):
                if try options.consume(name, &scanner) { continue }
                switch name {
                case "-p", "--port": ports.append(try scanner.value())
                case "-e", "--env": env.append(try scanner.value())
                case "--env-file": envFile = try scanner.value()
                case "-v", "--volume": volumes.append(try scanner.value())
                case "--env-source", "--slice", "--network", "--request-id":
                    guard scalars[name] == nil else { throw UsageError("\(name) given twice") }
                    scalars[name] = try scanner.value()
                case "--socket-activated", "--isolate", "--start": if try scanner.flag() { flags.insert(name) }
                default: throw UsageError("unknown option \(name)")
                }
            case .positional(let value): positionals.append(value)
            case .rest(let values): command = values
            }
        }
        guard positionals.count >= 2 else { throw UsageError(positionals.isEmpty ? "missing IMAGE and ID" : "missing the container ID") }
        guard positionals.count == 2 else {
            throw UsageError("unexpected argument \(String(reflecting: positionals[2])); put the container's command after --")
        }
        if command?.isEmpty == true { throw UsageError("-- must be followed by the command to run") }

        var mappings: [PortMapping] = []
        for text in ports {
            do {
                let pair = try PortPair(parsing: text)
                mappings.append(PortMapping(internal: pair.internal, external: pair.external))
            } catch { throw UsageError("-p \(String(reflecting: text)): \(error.reason)") }
        }
        do {
            try mappings.map { PortPair(internal: $0.internal, external: $0.external) }.validate()
        } catch { throw UsageError("-p: \(error.reason)") }

        var environment = Environment()
        if let envFile {
            do {
                let bytes = try FileSystem.read(envFile, limit: EnvironmentFile.maxBytes + 1)
                environment = try EnvironmentFile.parse(bytes: bytes)
            } catch let error as EnvironmentError {
                throw UsageError("--env-file \(envFile): \(error.description)")
            } catch {
                throw UsageError("--env-file \(envFile): cannot read it: \(error)")
            }
        }
        for line in env {
            do { try environment.set(try EnvironmentVariable(line: line)) } catch {
                throw UsageError("-e \(String(reflecting: line)): \(error.description)")
            }
        }
        let mounts = try volumes.map(InstallCommand.volume(_:))

        self.arguments = try IDArguments([])
        self.arguments.options = options
        self.arguments.ids = [positionals[1]]
        self.params = ContainerInstallParams(
            id: try Locator(parsing: positionals[1]).id, image: positionals[0], command: command,
            ports: mappings.isEmpty ? nil : mappings,
            environment: environment.isEmpty ? nil : environment.variables.map { EnvironmentEntry(name: $0.name, value: $0.value) },
            environmentSource: scalars["--env-source"], volumes: mounts.isEmpty ? nil : mounts,
            slice: scalars["--slice"],
            socketActivated: flags.contains("--socket-activated") ? true : nil,
            isolate: flags.contains("--isolate") ? true : nil,
            start: flags.contains("--start") ? true : nil,
            requestId: scalars["--request-id"], network: scalars["--network"])
        if let network = params.network {
            do { try ContainerUnitSpec.validateNetwork(network) } catch { throw UsageError("--network: \(error.reason)") }
        }
    }

    /// `HOST:CTR` or `HOST:CTR:ro`, checked with the node's own rule (`BerthCore.VolumeMount.validate`).
    static func volume(_ text: String) throws(UsageError) -> BerthProtocol.VolumeMount {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var readOnly: Bool?
        if parts.count == 3 {
            guard parts[2] == "ro" || parts[2] == "rw" else {
                throw UsageError("-v \(String(reflecting: text)): the mode must be ro or rw, got \(String(reflecting: parts[2]))")
            }
            readOnly = parts.removeLast() == "ro" ? true : nil
        }
        guard parts.count == 2 else { throw UsageError("-v \(String(reflecting: text)): expected HOST:CONTAINER[:ro]") }
        do {
            try BerthCore.VolumeMount(hostPath: parts[0], containerPath: parts[1]).validate()
        } catch { throw UsageError("-v \(String(reflecting: text)): \(error.description)") }
        return BerthProtocol.VolumeMount(hostPath: parts[0], containerPath: parts[1], readOnly: readOnly)
    }

    public func validate() throws(UsageError) {
        try arguments.validate(minimum: 1, maximum: 1)
        // The node's own rule, so nothing it would refuse is sent.
        do { try ImageReference.validate(params.image) } catch { throw UsageError(error.description) }
        if let requestId = params.requestId, !(1...128).contains(requestId.unicodeScalars.count) {  // code points, as the schema counts
            throw UsageError("--request-id must be 1 to 128 characters")
        }
        if let slice = params.slice, slice.isEmpty { throw UsageError("--slice must not be empty") }
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let params = self.params
        return await context.runOnNodes(arguments.options, locators: arguments.locators,
                                        plan: { _ in [PlannedCall(.containerInstall, params: encodeParams(params))] }, render: { value, _, node in
            let status = try JSONValueDecoder().decode(ContainerStatus.self, from: value)
            return ["installed \(status.id) (\(stateText(status)))" + (node.map { " on \($0)" } ?? "")
                    + (status.ports.isEmpty ? "" : " ports \(portsText(status.ports))")]
        })
    }
}
