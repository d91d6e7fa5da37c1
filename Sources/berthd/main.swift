import BerthCore
import BerthNode
import BerthProtocol
import BerthSystem

// Trap first: a SIGTERM (or a SIGHUP asking to reload the secrets) that arrives while we start up is
// kept for the server instead of killing us.
try? Signals.trap([.terminate, .interrupt, .hangup])

let command: NodeCommand
do {
    command = try NodeConfiguration.parse(arguments: Array(CommandLine.arguments.dropFirst())) { path in
        guard FileSystem.exists(path) else { return nil }
        return String(decoding: try FileSystem.read(path, limit: 1 << 20), as: UTF8.self)
    }
} catch {
    try? FileDescriptor.standardError.writeAll(Array("berthd: \(error.message)\n\(NodeConfiguration.usage)\n".utf8))
    Processes.exit(64)
}

switch command {
case .help:
    print(NodeHelp.text)
    Processes.exit(0)
case .version:
    print("berthd \(NodeDescription.version) (protocol \(ProtocolVersion.supported.lowerBound)...\(ProtocolVersion.supported.upperBound))")
    Processes.exit(0)
case .linksApply(let command):
    // A container unit's ExecStartPost=: its failure fails the start, and says why in the journal.
    do {
        let errorFile = LinkApplyCommand.errorFile(forLinksFile: command.linksFile)
        let applied: [ResolvedLink]
        do { applied = try await command.run(environment: ProcessRequest.inheritedEnvironment) } catch {
            try? FileSystem.writeAtomically(Array("\(error)".utf8), to: errorFile, mode: 0o600)
            throw error
        }
        try? FileSystem.remove(errorFile)
        print("berthd links-apply: \(command.container): \(applied.count) link(s) applied")
        Processes.exit(0)
    } catch {
        try? FileDescriptor.standardError.writeAll(Array("berthd links-apply: \(command.container): \(error)\n".utf8))
        Processes.exit(1)
    }
case .run(let configuration):
    let logger = Logger.fromEnvironment(minimumLevel: configuration.logLevel)

    // The node's parts come up in order: the service manager (embedded, user or system), the
    // container engine (which recovers from disk before anything is served), then the server.
    var embedded: EmbeddedManager?
    do {
        // Settings first: a bad secret file or group must not start a manager or touch the disk.
        try NodeServer.checkSettings(configuration)
        // One node per run directory, and so per embedded manager (RUN-DIR-manager): held until
        // exit and taken before the manager is opened, so two nodes started at once never both
        // adopt, stop or start one.
        let nodeLock = try Layout.nodeLock(runDir: configuration.runDirectory)
        try FileSystem.createDirectory(configuration.runDirectory)
        try FileSystem.createDirectory(FileSystem.directoryName(of: nodeLock), mode: 0o700)
        guard try FileLock.holdUntilExit(path: nodeLock) else {
            logger.error("already_running", ["lock": nodeLock,
                                             "error": "another berthd runs on this run directory (it holds the lock)"])
            Processes.exit(1)
        }
        let environment = ProcessRequest.inheritedEnvironment
        let containersConf = environment["CONTAINERS_CONF"]
            ?? (FileSystem.exists("/etc/berth/containers.conf") ? "/etc/berth/containers.conf" : nil)
        // Every program the units will run is found before anything starts: a missing one refuses
        // the start-up here, not each container's start later.
        let mode = configuration.manager ?? ManagerMode.detect(environment: environment)
        let runtime = try RuntimeConfiguration.resolve(
            runtime: configuration.runtime, runtimePath: configuration.runtimePath,
            dockerHost: environment["DOCKER_HOST"] ?? (mode == .embedded ? "unix://\(configuration.runDirectory)/podman-api.sock" : nil),
            servesPodmanAPI: mode == .embedded,
            searchPath: environment["PATH"] ?? ExecutableSearch.defaultPath)
        let opened = try await ServiceManagerLauncher.open(
            mode, embeddedDirectory: configuration.runDirectory + "-manager", containersConf: containersConf)
        embedded = opened.embedded
        if opened.predecessor != .none { logger.info("manager_predecessor", ["outcome": "\(opened.predecessor)"]) }
        var handle = opened.handle
        if let unitDirectory = configuration.unitDirectory { handle.unitDir = unitDirectory }
        let layout = try Layout(stateDir: configuration.stateDirectory, runDir: configuration.runDirectory,
                                unitDir: handle.unitDir)
        var engineConfiguration = EngineConfiguration(layout: layout, manager: handle, runtime: runtime)
        engineConfiguration.logMaxBytes = configuration.logMaxBytes
        if let range = configuration.portRange {
            engineConfiguration.portRange = UInt16(range.lowerBound)...UInt16(range.upperBound)
        }
        // Links: loopback targets mean the host as containers reach it; the units' hook is this
        // very executable (`links-apply`), so it always matches the node that rendered the unit.
        var detected: [IPFamily: String] = [:]
        if configuration.linkHostIPv4 == .auto || configuration.linkHostIPv6 == .auto, runtime.runtime == .podman {
            detected = await LinkHostAddress.detectPodmanGateways(
                podman: runtime.path, environment: LinkApplyCommand.runtimeEnvironment(from: environment))
        }
        engineConfiguration.links = ContainerLinks(resolver: LinkResolver(
            hostAddressIPv4: configuration.linkHostIPv4.resolved(family: .ipv4, detected: detected),
            hostAddressIPv6: configuration.linkHostIPv6.resolved(family: .ipv6, detected: detected)))
        engineConfiguration.runtimeEnvironment = LinkApplyCommand.runtimeEnvironment(from: environment)
        if let containersConf, !containersConf.isEmpty { engineConfiguration.runtimeEnvironment["CONTAINERS_CONF"] = containersConf }
        if let executable = LinkApplyCommand.currentExecutable() {
            engineConfiguration.linkApplier = [executable]
        } else {
            logger.warning("links_unavailable", ["reason": "berthd's own path cannot be a unit's ExecStartPost="])
        }
        // The node's one mirror of systemd: a D-Bus client whose cache follows the container units.
        // The engine lists from it (with --systemd-client dbus, its client is this one) and the event
        // hub observes it.
        let cache = UnitStateCache.containerUnits()
        let mirror = DBusSystemdClient(handle: handle, cache: cache)
        let engine = ContainerEngine(configuration: engineConfiguration,
                                     systemd: configuration.systemdClient.client(for: handle, mirror: mirror))
        let report = try await engine.open()
        logger.info("engine_ready", ["manager": handle.mode.rawValue, "systemd_client": configuration.systemdClient.rawValue,
                                     "runtime": runtime.runtime.rawValue, "runtime_path": runtime.path,
                                     "link_host_ipv4": engineConfiguration.links.resolver.hostAddressIPv4 ?? "none",
                                     "link_host_ipv6": engineConfiguration.links.resolver.hostAddressIPv6 ?? "none",
                                     "unit_dir": handle.unitDir, "recovery": "\(report)"])

        // Events: the hub hears installs and deletes from the engine and everything else from the
        // mirror. It connects before serving, so the first subscriber's snapshot has the units' states;
        // a manager that cannot be reached yet is retried by run(following:).
        let hub = EventHub(cache: cache, logger: logger)
        do {
            _ = try await mirror.bus()
            await hub.catchUp()
        } catch {
            logger.warning("events_connect_failed", ["error": "\(error)", "retry": "in the background"])
        }
        hub.seed(installed: await engine.installedIdentifiers())
        await engine.setObserver { hub.containerChanged($0) }

        let providers: [any MethodProvider] = [ContainerMethodProvider(engine: engine), ContainerLogMethodProvider(engine: engine),
                                                  EventMethodProvider(hub: hub)]
        var methods = MethodTable()
        for provider in providers { provider.register(into: &methods) }
        var info = NodeDescription(managerMode: handle.mode.rawValue, runtime: runtime.runtime.rawValue,
                                   stateDirectory: configuration.stateDirectory)
        info.tools = runtime.toolPaths
        if let berthd = engineConfiguration.linkApplier?.first { info.tools["berthd"] = berthd }
        if engineConfiguration.linkApplier != nil { info.capabilities += [Capability.links, Capability.ipv6Links] }
        info.capabilities += [Capability.events, Capability.idempotentRequests]
        let server = try NodeServer(configuration: configuration, methods: methods, info: info, logger: logger)
        logger.info("starting", ["version": NodeDescription.version, "pid": Processes.currentID,
                                 "config": configuration.configFile ?? "none"])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await hub.run(following: mirror) }
            try await server.run()
            group.cancelAll()
        }
        await embedded?.stop()
        Processes.exit(0)
    } catch let error as ConfigurationError {
        logger.error("bad_configuration", ["error": error.message])
        await embedded?.stop()
        Processes.exit(64)
    } catch {
        logger.error("failed", ["error": "\(error)"])
        await embedded?.stop()
        Processes.exit(1)
    }
}
