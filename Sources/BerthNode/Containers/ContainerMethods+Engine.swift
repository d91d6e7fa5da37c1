import BerthProtocol

/// Serves the container methods from a `ContainerEngine`.
public struct ContainerMethodProvider: MethodProvider {
    public let engine: ContainerEngine
    public init(engine: ContainerEngine) { self.engine = engine }

    public func register(into table: inout MethodTable) {
        let engine = engine
        table.register("container.install") { (p: ContainerInstallParams, _) in try await engine.install(p) }
        table.register("container.start") { (p: ContainerRefParams, _) in try await engine.start(p) }
        table.register("container.stop") { (p: ContainerStopParams, _) in try await engine.stop(p) }
        table.register("container.restart") { (p: ContainerRefParams, _) in try await engine.restart(p) }
        table.register("container.delete") { (p: ContainerRefParams, _) -> DoneResult in
            _ = try await engine.delete(p)
            return DoneResult()
        }
        table.register("container.status") { (p: ContainerRefParams, _) in try await engine.status(p) }
        // A small node lists on the connection's thread (every cold `berth ps` asks for it); a big
        // listing moves to the pool, so it does not hold up every other socket of the event loop.
        table.registerEncoded("container.list", on: .connection) { (p: ContainerListParams, _) in
            if await engine.installedCount <= ContainerEngine.listOnConnectionLimit { return try await engine.listEncoded(p) }
            return try await withTaskExecutorPreference(globalConcurrentExecutor) { try await engine.listEncoded(p) }
        }
        table.register("container.ports", on: .connection) { (p: ContainerRefParams, _) in try await engine.ports(p) }
        table.register("container.env.get") { (p: ContainerRefParams, _) in try await engine.environment(p) }
        table.register("container.env.set") { (p: ContainerEnvSetParams, _) in try await engine.setEnvironment(p) }
        table.register("container.links.get", on: .connection) { (p: ContainerRefParams, _) in try await engine.links(p) }
        table.register("container.links.set") { (p: ContainerLinksSetParams, _) in try await engine.setLinks(p) }
        table.register("container.links.add") { (p: ContainerLinkAddParams, _) in try await engine.addLink(p) }
        table.register("container.links.remove") { (p: ContainerLinkRemoveParams, _) in try await engine.removeLink(p) }
        table.register("container.env.patch") { (p: ContainerEnvPatchParams, _) in try await engine.patchEnvironment(p) }
    }
}
