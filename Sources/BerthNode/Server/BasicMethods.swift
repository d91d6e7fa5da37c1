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
        // Every connection says hello first, and the answer only depends on the chosen major and
        // whether the connection is TCP: encoded once for the current major.
        @Sendable func hello(_ chosen: Int, tcp: Bool) throws(RPCError) -> JSONValue {
            try .encoding(HelloResult(protocol: chosen, node: NodeIdentity(version: d.version, hostname: d.hostname),
                                      capabilities: d.capabilities, authRequired: tcp))
        }
        let current = (unix: try? hello(ProtocolVersion.current, tcp: false), tcp: try? hello(ProtocolVersion.current, tcp: true))
        table.registerImmediate(MethodName.nodeHello.rawValue) { request, context throws(RPCError) in
            let chosen = try ProtocolVersion.negotiate(clientSpeaks: try request.decodeParams(HelloParams.self).protocols)
            let tcp = context.transport == .tcp
            if chosen == ProtocolVersion.current, let cached = tcp ? current.tcp : current.unix { return cached }
            return try hello(chosen, tcp: tcp)
        }
        table.register(MethodName.nodeInfo.rawValue) { request, context in
            _ = try request.decodeParams(NoParams.self)
            let elapsed = ContinuousClock.now - started
            let info = NodeInfo(version: d.version, hostname: d.hostname, addresses: d.addresses(),
                                protocols: Array(ProtocolVersion.supported), capabilities: d.capabilities,
                                uptimeSeconds: elapsed.components.seconds, managerMode: d.managerMode, runtime: d.runtime,
                                stateDir: d.stateDirectory, tools: d.tools.isEmpty ? nil : d.tools, role: context.principal.role.rawValue)
            guard case .object(var members) = try JSONValueEncoder().encode(info) else {
                throw RPCError.internal("node.info did not encode to an object")
            }
            if let extra = d.extraInfo {
                for (key, value) in await extra() where members[key] == nil { members[key] = value }
            }
            return .object(members)
        }
        table.registerImmediate(MethodName.nodePing.rawValue) { request, _ throws(RPCError) in
            try PingResult.respond(to: request.params)
        }
        table.register(MethodName.rpcDiscover.rawValue) { request, _ in
            _ = try request.decodeParams(NoParams.self)
            return OpenRPCDocument.value
        }
    }
}

/// Params of methods that take none: `{}` or absent; any key is `invalid_params`. (A synthesized
/// empty Decodable never opens its container, so the decoder could not see unknown keys.)
struct NoParams: Codable, Sendable {
    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        if let key = container.allKeys.map(\.stringValue).sorted().first {
            throw RPCError.invalidParams("unknown key \(String(reflecting: key)): this method takes no parameters", path: key)
        }
    }

    func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: AnyKey.self)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension NoParams: DirectParams {
    static func direct(_ members: [String: JSONValue]) -> NoParams? { members.isEmpty ? NoParams() : nil }
}
