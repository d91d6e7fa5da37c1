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
            OptionSpec("--restart", value: "POLICY", completion: .words(RestartPolicy.Mode.allCases.map(\.rawValue)), help: """
                when systemd restarts it: no (the default, as with podman and quadlet), on-failure
                (a non-zero exit or a signal) or always
                """),
            OptionSpec("--restart-delay", value: "SECONDS", help: "pause before a restart, in seconds (e.g. 0.5; systemd's default is 0.1)"),
            OptionSpec("--restart-burst", value: "N", help: "starts allowed within --restart-interval; one more is start-limit-hit (berth start resets it)"),
            OptionSpec("--restart-interval", value: "SECONDS", help: "the start-limit window in seconds (0: no limit; the manager's default is 10)"),
            OptionSpec("--memory", value: "SIZE", help: "memory limit in bytes, or with b, k, m, g (1024-based, as podman): 256m"),
            OptionSpec("--memory-swap", value: "SIZE", help: "memory plus swap, as podman's --memory-swap (needs --memory; equal to it: no swap)"),
            OptionSpec("--cpus", value: "N", help: "CPU quota in CPUs, e.g. 0.5 (at most three decimals)"),
            OptionSpec("--pids", value: "N", help: "the most tasks (processes and threads) it may hold, as podman's --pids-limit"),
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
        let (restart, limits) = try InstallCommand.restartAndLimits(parsed)
        let spec = InstanceSpec(image: positionals[0], command: command, ports: ports.map(\.wire), environment: environment.wire,
                                restart: restart, limits: limits)
        var params = spec.installParams(id: try Locator(parsing: positionals[1]).id)
        params.environmentSource = parsed.value("--env-source")
        params.volumes = mounts.isEmpty ? nil : mounts
        params.slice = parsed.value("--slice")
        params.socketActivated = parsed.flag("--socket-activated") ? true : nil
        params.isolate = parsed.flag("--isolate") ? true : nil
        params.start = parsed.flag("--start") ? true : nil
        params.requestId = parsed.value("--request-id")
        params.network = parsed.value("--network")
        self.params = params
        if let network = params.network {
            do { try ContainerUnitSpec.validateNetwork(network) } catch { throw UsageError("--network: \(error.reason)") }
        }
    }

    /// The restart and limit flags, checked by the node's own rules (the error names the flag).
    static func restartAndLimits(_ parsed: ParsedArguments) throws(UsageError) -> (RestartPolicy?, ResourceLimits?) {
        let flags = ["restart": "--restart", "restartDelaySeconds": "--restart-delay", "restartBurst": "--restart-burst",
                     "restartIntervalSeconds": "--restart-interval", "memory": "--memory", "memorySwap": "--memory-swap",
                     "cpus": "--cpus", "pids": "--pids"]
        func number<T>(_ flag: String, _ parse: (String) -> T?, _ what: String) throws(UsageError) -> T? {
            guard let text = parsed.value(flag) else { return nil }
            guard let value = parse(text) else { throw UsageError("\(flag) \(String(reflecting: text)): expected \(what)") }
            return value
        }
        let seconds = "a number of seconds, e.g. 5 or 0.5"
        let size = "bytes, or a number with b, k, m or g (e.g. 256m)"
        let delay = try number("--restart-delay", { Double($0) }, seconds)
        let burst = try number("--restart-burst", { Int($0) }, "a whole number of starts")
        let interval = try number("--restart-interval", { Int($0) }, "a whole number of seconds")
        let memory = try number("--memory", ByteSize.parse, size)
        let memorySwap = try number("--memory-swap", ByteSize.parse, size)
        let cpus = try number("--cpus", { Double($0) }, "a number of CPUs, e.g. 0.5")
        let pids = try number("--pids", { Int($0) }, "a whole number of tasks")
        do {
            return (try RestartPolicy.checked(mode: parsed.value("--restart"), delaySeconds: delay, burst: burst, intervalSeconds: interval),
                    try ResourceLimits.checked(memory: memory, memorySwap: memorySwap, cpus: cpus, pids: pids))
        } catch {
            throw UsageError("\(flags[error.field] ?? error.field) \(error.value): \(error.reason)")
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
