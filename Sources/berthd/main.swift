#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthNode
import BerthProtocol
import BerthSystem

// Trap first: a SIGTERM that arrives while we start up is kept for the server instead of killing us.
try? Signals.trap([.terminate, .interrupt])

let command: NodeCommand
do {
    command = try NodeConfiguration.parse(arguments: Array(CommandLine.arguments.dropFirst())) { path in
        guard FileSystem.exists(path) else { return nil }
        return String(decoding: try FileSystem.read(path, limit: 1 << 20), as: UTF8.self)
    }
} catch {
    try? FileDescriptor.standardError.writeAll(Array("berthd: \(error.message)\n\(NodeConfiguration.usage)\n".utf8))
    exit(64)
}

switch command {
case .help:
    print(NodeHelp.text)
    exit(0)
case .version:
    print("berthd \(NodeDescription.version) (protocol \(ProtocolVersion.supported.lowerBound)...\(ProtocolVersion.supported.upperBound))")
    exit(0)
case .run(let configuration):
    let logger = Logger.fromEnvironment(minimumLevel: configuration.logLevel)

    // The node's parts come up in order: the service manager (embedded, user or system), the
    // container engine (which recovers from disk before anything is served), then the server.
    var embedded: EmbeddedManager?
    do {
        let environment = ProcessRequest.inheritedEnvironment
        let containersConf = environment["CONTAINERS_CONF"]
            ?? (FileSystem.exists("/etc/berth/containers.conf") ? "/etc/berth/containers.conf" : nil)
        let opened = try await ServiceManagerLauncher.open(
            configuration.manager, embeddedDirectory: configuration.runDirectory + "-manager", containersConf: containersConf)
        embedded = opened.embedded
        var handle = opened.handle
        if let unitDirectory = configuration.unitDirectory { handle.unitDir = unitDirectory }

        let runtime: RuntimeConfiguration = switch configuration.runtime {
        case nil: RuntimeConfiguration.detect()
        case .podman?: RuntimeConfiguration(runtime: .podman)
        case .docker?:
            RuntimeConfiguration(
                runtime: .docker,
                dockerHost: environment["DOCKER_HOST"]
                    ?? (handle.mode == .embedded ? "unix://\(configuration.runDirectory)/podman-api.sock" : nil))
        }
        let layout = try Layout(stateDir: configuration.stateDirectory, runDir: configuration.runDirectory,
                                unitDir: handle.unitDir)
        var engineConfiguration = EngineConfiguration(layout: layout, manager: handle, runtime: runtime)
        if let range = configuration.portRange {
            engineConfiguration.portRange = UInt16(range.lowerBound)...UInt16(range.upperBound)
        }
        let engine = ContainerEngine(configuration: engineConfiguration, systemd: configuration.systemdClient.client(for: handle))
        let report = try await engine.open()
        logger.info("engine_ready", ["manager": handle.mode.rawValue, "systemd_client": configuration.systemdClient.rawValue,
                                     "runtime": runtime.runtime.rawValue,
                                     "unit_dir": handle.unitDir, "recovery": "\(report)"])

        let providers: [any MethodProvider] = [ContainerMethodProvider(engine: engine)]
        var methods = MethodTable()
        for provider in providers { provider.register(into: &methods) }
        let info = NodeDescription(managerMode: handle.mode.rawValue, runtime: runtime.runtime.rawValue,
                                   stateDirectory: configuration.stateDirectory)
        let server = try NodeServer(configuration: configuration, methods: methods, info: info, logger: logger)
        logger.info("starting", ["version": NodeDescription.version, "pid": getpid(),
                                 "config": configuration.configFile ?? "none"])
        try await server.run()
        await embedded?.stop()
        exit(0)
    } catch let error as ConfigurationError {
        logger.error("bad_configuration", ["error": error.message])
        await embedded?.stop()
        exit(64)
    } catch {
        logger.error("failed", ["error": "\(error)"])
        await embedded?.stop()
        exit(1)
    }
}
