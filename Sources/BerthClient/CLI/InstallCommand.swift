import BerthCore
import BerthProtocol
import BerthSystem

/// `berth install IMAGE ID [options] [-- COMMAND ARGS...]`
public struct InstallCommand: BerthCommand {
    public static let spec = CommandSpec(
        "install", abstract: "Install a container as a systemd unit (and start it with --start).",
        arguments: [
            ArgumentSpec("IMAGE", help: "the image to run"),
            ArgumentSpec("ID", noun: "the container ID", help: "the container id (letters, digits, '-', '_', '.'; see docs/cli.md)"),
        ],
        rest: ArgumentSpec("COMMAND ARGS...", help: "the container's command (images built from busybox have none)"),
        options: [
            OptionSpec("-p", "--port", value: "PORT[:HOST]", repeatable: true,
                       help: "publish container PORT on HOST port; 0 or omitted lets the node pick"),
            OptionSpec("-e", "--env", value: "NAME=VALUE", repeatable: true, help: "set a variable (repeatable; later ones win over --env-file)"),
            OptionSpec("--env-file", value: "FILE", completion: .file, help: "read NAME=VALUE lines (systemd EnvironmentFile syntax)"),
            OptionSpec("--env-source", value: "URL", help: "where the node fetches more environment from"),
            OptionSpec("-v", "--volume", value: "HOST:CTR[:ro]", repeatable: true, help: "bind-mount an absolute host path (read-only with :ro)"),
            OptionSpec("--slice", value: "SLICE", help: "the systemd slice to run in"),
            OptionSpec("--network", value: "NET", help: "attach to this runtime network (podman network create ...)"),
            OptionSpec("--socket-activated", help: "start on the first connection to a published port"),
            // What ContainerUnitRenderer's isolation arguments do.
            OptionSpec("--isolate", help: """
                run as a uid of its own (the node allocates it), with every capability
                dropped, no new privileges and a read-only root filesystem
                """),
            OptionSpec("--start", help: "start it now (and on boot)"),
            OptionSpec("--request-id", value: "X", help: "make a retry safe: the node answers a repeated id with the first result"),
        ])
    var arguments: IDArguments
    var params: ContainerInstallParams

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        let positionals = parsed.positionals
        let command = parsed.rest
        if command?.isEmpty == true { throw UsageError("-- must be followed by the command to run") }

        var ports: [PortPair] = []
        for text in parsed.values("--port") {
            do { ports.append(try PortPair(parsing: text)) } catch { throw UsageError("-p \(String(reflecting: text)): \(error.reason)") }
        }
        do { try ports.validate() } catch { throw UsageError("-p: \(error.reason)") }

        var environment = Environment()
        if let envFile = parsed.value("--env-file") {
            do {
                let bytes = try FileSystem.read(envFile, limit: EnvironmentFile.maxBytes + 1)
                environment = try EnvironmentFile.parse(bytes: bytes)
            } catch let error as EnvironmentError {
                throw UsageError("--env-file \(envFile): \(error.description)")
            } catch {
                throw UsageError("--env-file \(envFile): cannot read it: \(error)")
            }
        }
        for line in parsed.values("--env") {
            do { try environment.set(try EnvironmentVariable(line: line)) } catch {
                throw UsageError("-e \(String(reflecting: line)): \(error.description)")
            }
        }
        let mounts = try parsed.values("--volume").map(InstallCommand.volume(_:))

        arguments = try IDArguments(parsed)
        arguments.ids = [positionals[1]]
        self.params = ContainerInstallParams(
            id: try Locator(parsing: positionals[1]).id, image: positionals[0], command: command,
            ports: ports.isEmpty ? nil : ports.map(\.wire),
            environment: environment.isEmpty ? nil : environment.wire,
            environmentSource: parsed.value("--env-source"), volumes: mounts.isEmpty ? nil : mounts,
            slice: parsed.value("--slice"),
            socketActivated: parsed.flag("--socket-activated") ? true : nil,
            isolate: parsed.flag("--isolate") ? true : nil,
            start: parsed.flag("--start") ? true : nil,
            requestId: parsed.value("--request-id"), network: parsed.value("--network"))
        if let network = params.network {
            do { try ContainerUnitSpec.validateNetwork(network) } catch { throw UsageError("--network: \(error.reason)") }
        }
    }

    /// `HOST:CTR` or `HOST:CTR:ro`, checked with the node's own rule (`VolumeMount.validate`).
    static func volume(_ text: String) throws(UsageError) -> VolumeMount {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var readOnly = false
        if parts.count == 3 {
            guard parts[2] == "ro" || parts[2] == "rw" else {
                throw UsageError("-v \(String(reflecting: text)): the mode must be ro or rw, got \(String(reflecting: parts[2]))")
            }
            readOnly = parts.removeLast() == "ro"
        }
        guard parts.count == 2 else { throw UsageError("-v \(String(reflecting: text)): expected HOST:CONTAINER[:ro]") }
        let mount = VolumeMount(hostPath: parts[0], containerPath: parts[1], readOnly: readOnly)
        do { try mount.validate() } catch { throw UsageError("-v \(String(reflecting: text)): \(error.description)") }
        return mount
    }

    public func validate() throws(UsageError) {
        try arguments.validate()
        // The node's own rule, so nothing it would refuse is sent.
        do { try ImageReference.validate(params.image) } catch { throw UsageError(error.description) }
        if let requestId = params.requestId, !(1...ContractLimits.requestIdCharacters).contains(requestId.schemaLength) {
            throw UsageError("--request-id must be 1 to \(ContractLimits.requestIdCharacters) characters")
        }
        if let slice = params.slice, slice.isEmpty { throw UsageError("--slice must not be empty") }
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let params = self.params
        return await context.runOnNodes(arguments.options, locators: arguments.locators,
                                        plan: { _ in [PlannedCall(.containerInstall, params: encodeParams(params))] }, render: { value, _, node in
            let status = try JSONValueDecoder().decode(ContainerStatus.self, from: value)
            return ["installed \(status.id) (\(stateText(status)))" + (node.map { " on \($0.address)" } ?? "")
                    + (status.ports.isEmpty ? "" : " ports \(portsText(status.ports))")]
        })
    }
}
