#if canImport(Glibc)
import Glibc
#endif
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

    // The spot where other parts of the node join: each provider registers its methods.
    // (The container engine's provider is added here by the lead.)
    let providers: [any MethodProvider] = []

    var methods = MethodTable()
    for provider in providers { provider.register(into: &methods) }
    let info = NodeDescription(managerMode: configuration.manager.rawValue, runtime: configuration.runtime.rawValue,
                               stateDirectory: configuration.stateDirectory)
    do {
        let server = try NodeServer(configuration: configuration, methods: methods, info: info, logger: logger)
        logger.info("starting", ["version": NodeDescription.version, "pid": getpid(),
                                 "config": configuration.configFile ?? "none"])
        try await server.run()
        exit(0)
    } catch let error as ConfigurationError {
        logger.error("bad_configuration", ["error": error.message])
        exit(64)
    } catch {
        logger.error("failed", ["error": "\(error)"])
        exit(1)
    }
}
