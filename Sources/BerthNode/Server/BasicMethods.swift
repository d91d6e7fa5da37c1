import BerthProtocol

/// The methods every node serves whatever else it does: `node.hello`, `node.info`, `node.ping`,
/// `rpc.discover`. (`auth.challenge` and `auth.response` change the connection's own state, so the
/// connection answers them itself.)
public struct BasicMethods: MethodProvider {
    public var description: NodeDescription
    let started: ContinuousClock.Instant

    public init(description: NodeDescription, started: ContinuousClock.Instant = .now) {
        self.description = description
        self.started = started
    }

    public func register(into table: inout MethodTable) {
        let d = description
        let started = started
        table.register(MethodName.nodeHello.rawValue) { (params: HelloParams, context: RequestContext) -> HelloResult in
            let chosen = try ProtocolVersion.negotiate(clientSpeaks: params.protocols)
            return HelloResult(protocol: chosen, node: NodeIdentity(version: d.version, hostname: d.hostname),
                               capabilities: d.capabilities, authRequired: context.transport == .tcp)
        }
        table.register(MethodName.nodeInfo.rawValue) { request, _ in
            _ = try request.decodeParams(NoParams.self)
            let elapsed = ContinuousClock.now - started
            let info = NodeInfo(version: d.version, hostname: d.hostname, addresses: d.addresses(),
                                protocols: Array(ProtocolVersion.supported), capabilities: d.capabilities,
                                uptimeSeconds: elapsed.components.seconds, managerMode: d.managerMode, runtime: d.runtime)
            guard case .object(var members) = try JSONValueEncoder().encode(info) else {
                throw RPCError.internal("node.info did not encode to an object")
            }
            members["stateDir"] = .string(d.stateDirectory)
            if let extra = d.extraInfo {
                for (key, value) in await extra() where members[key] == nil { members[key] = value }
            }
            return .object(members)
        }
        table.register(MethodName.nodePing.rawValue) { request, _ in
            try PingResult.respond(to: request.params)
        }
        table.register(MethodName.rpcDiscover.rawValue) { request, _ in
            _ = try request.decodeParams(NoParams.self)
            return OpenRPCDocument.value
        }
    }
}

/// Params of methods that take none: `{}` or absent; any key is `invalid_params`.
struct NoParams: Codable, Sendable {}
