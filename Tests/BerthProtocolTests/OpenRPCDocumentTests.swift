import Testing
import BerthProtocol

private func document() throws -> JSONValue { try JSONParser.parse(readRepoFile("Protocol/berth.openrpc.json")) }

private func methods(_ doc: JSONValue) throws -> [String: JSONValue] {
    var out: [String: JSONValue] = [:]
    for m in try #require(doc["methods"]?.arrayValue) {
        let name = try #require(m["name"]?.stringValue)
        #expect(out[name] == nil, "\(name) listed twice")
        out[name] = m
    }
    return out
}

@Test func theDocumentParsesAndIsOpenRPC1() throws {
    let doc = try document()
    #expect(doc["openrpc"]?.stringValue?.hasPrefix("1.2.") == true)
    #expect(doc["info"]?["x-berth-protocol-major"] == .int(Int64(ProtocolVersion.current)))
    for rule in ["framing", "jsonrpc", "errors", "versioning", "auth", "roles", "idempotency", "events"] {
        #expect(doc["info"]?["x-berth-rules"]?[rule]?.stringValue != nil, "rule \(rule) missing")
    }
}

@Test func everyCatalogueMethodIsDocumentedAndViceVersa() throws {
    let documented = try methods(document())
    #expect(Set(documented.keys) == Set(MethodName.all.map(\.rawValue)))
    for (name, m) in documented {
        #expect(m["x-berth-served"]?.boolValue != nil, "\(name) lacks x-berth-served")
        #expect(m["paramStructure"] == "by-name", "\(name)")
        #expect(m["result"]?["schema"] != nil, "\(name) has no result schema")
        let errors: [JSONValue] = m["errors"]?.arrayValue ?? []
        #expect(errors.count > 0, "\(name) lists no errors")
    }
}

/// Every `$ref` inside the document points at something that exists.
@Test func referencesResolve() throws {
    let doc = try document()
    var refs: [String] = []
    func walk(_ v: JSONValue) {
        switch v {
        case .object(let o):
            if let r = o["$ref"]?.stringValue { refs.append(r) }
            o.values.forEach(walk)
        case .array(let a): a.forEach(walk)
        default: break
        }
    }
    walk(doc)
    #expect(!refs.isEmpty)
    for r in refs where r.hasPrefix("#/") {
        var node: JSONValue? = doc
        for part in r.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        #expect(node != nil, "dangling \(r)")
    }
}

@Test func errorKindsMatchTheSwiftTable() throws {
    let doc = try document()
    let listed = try #require(doc["x-berth-error-kinds"]?.arrayValue).map { ($0["kind"]?.stringValue ?? "", $0["code"]?.intValue ?? 0) }
    #expect(listed.map(\.0) == ErrorKind.codes.map(\.kind.rawValue))
    #expect(listed.map(\.1) == ErrorKind.codes.map { Int64($0.code) })
    for (kind, code) in ErrorKind.codes {
        #expect(doc["components"]?["errors"]?[kind.rawValue]?["code"] == .int(Int64(code)))
    }
}

@Test func theEmbeddedCopyMatchesTheFile() throws {
    // If this fails, run Protocol/embed-openrpc.sh from the repository root.
    #expect(try OpenRPCDocument.value == document())
}

/// The Swift param types use exactly the documented param names.
@Test func swiftParamTypesMatchTheDocumentedParams() throws {
    let documented = try methods(document())
    func names(_ method: MethodName) -> Set<String> {
        Set((documented[method.rawValue]?["params"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
    }
    func keys(_ value: some Encodable) throws -> Set<String> { Set(try JSONValueEncoder().encode(value).objectValue?.keys ?? [:].keys) }
    let env = [EnvironmentEntry(name: "A", value: "b")]
    let link = [LinkSpec(fromHost: "127.0.0.1", fromPort: 1, toHost: "h", toPort: 2)]
    let cases: [(MethodName, any Encodable)] = [
        (.nodeHello, HelloParams(protocols: [1], client: "c")),
        (.nodePing, PingParams(echo: 1)),
        (.authResponse, AuthResponseParams(clientNonce: "00", response: "00", keyId: "k", publicKey: "00")),
        (.containerInstall, ContainerInstallParams(id: "a", image: "i", command: ["x"], ports: [PortMapping(internal: 1)], environment: env,
                                                   environmentSource: "u", volumes: [VolumeMount(hostPath: "/a", containerPath: "/b", readOnly: true)],
                                                   links: link, slice: "s", socketActivated: true, isolate: true, start: true, requestId: "r", network: "n",
                                                   restart: "always", restartDelaySeconds: 1, restartBurst: 1, restartIntervalSeconds: 1,
                                                   memory: 1, memorySwap: 1, cpus: 1, pids: 1)),
        (.containerStart, ContainerRefParams(id: "a", requestId: "r")),
        (.containerRestart, ContainerRefParams(id: "a", requestId: "r")),
        (.containerDelete, ContainerRefParams(id: "a", requestId: "r")),
        (.containerStop, ContainerStopParams(id: "a", wait: true, timeoutSeconds: 1, requestId: "r")),
        (.containerList, ContainerListParams(state: "active", ids: ["a"])),
        (.containerEnvSet, ContainerEnvSetParams(id: "a", environment: env, environmentSource: "u", requestId: "r")),
        (.containerEnvPatch, ContainerEnvPatchParams(id: "a", set: env, unset: ["B"], requestId: "r")),
        (.containerLinksSet, ContainerLinksSetParams(id: "a", links: link, requestId: "r")),
        (.eventsSubscribe, EventsSubscribeParams(cursor: EventCursor(epoch: "e", seq: 1), ids: ["a"], heartbeatSeconds: 1)),
        (.eventsUnsubscribe, EventsUnsubscribeParams(subscription: "s")),
    ]
    for (method, params) in cases {
        #expect(try keys(params) == names(method), "\(method)")
    }
    for method in [MethodName.containerStatus, .containerPorts, .containerEnvGet, .containerLinksGet] {
        #expect(names(method) == ["id"], "\(method)")
    }
    for method in [MethodName.nodeInfo, .rpcDiscover, .authChallenge] {
        #expect(names(method).isEmpty, "\(method)")
    }
}

/// The node.* results name exactly the members the Swift result types encode, so a member the node
/// adds (or drops) cannot go unnoticed in the contract.
@Test func nodeResultSchemasMatchTheSwiftResults() throws {
    let documented = try methods(document())
    func properties(_ method: MethodName) -> Set<String> {
        Set(documented[method.rawValue]?["result"]?["schema"]?["properties"]?.objectValue?.keys ?? [:].keys)
    }
    func keys(_ value: some Encodable) throws -> Set<String> { Set(try JSONValueEncoder().encode(value).objectValue?.keys ?? [:].keys) }
    let info = NodeInfo(version: "v", hostname: "h", addresses: [], protocols: [1], capabilities: [], uptimeSeconds: 0,
                        managerMode: "embedded", runtime: "podman", stateDir: "/s", tools: ["runtime": "/usr/bin/podman"], role: "read")
    #expect(try keys(info) == properties(.nodeInfo))
    #expect(try keys(HelloResult(protocol: 1, node: NodeIdentity(version: "v", hostname: "h"), capabilities: [])) == properties(.nodeHello))
}

/// The shared schemas name exactly what the Swift wire types encode (every optional member set).
@Test func componentSchemasMatchTheSwiftTypes() throws {
    let doc = try document()
    func properties(_ name: String) -> Set<String> {
        Set(doc["components"]?["schemas"]?[name]?["properties"]?.objectValue?.keys ?? [:].keys)
    }
    func keys(_ value: some Encodable) throws -> Set<String> { Set(try JSONValueEncoder().encode(value).objectValue?.keys ?? [:].keys) }
    let link = LinkSpec(fromHost: "127.0.0.1", fromPort: 1, toHost: "h", toPort: 2)
    var status = ContainerStatus(id: "a", image: "i", state: "active", subState: "running", ports: [PortMapping(internal: 1)],
                                 enabled: true, socketActivated: false, mainPID: 1, environmentNames: ["A"], links: [link],
                                 isolatedUID: 1, result: "signal", exitStatus: 3, exitSignal: "SIGKILL",
                                 since: "2026-12-06T21:40:12.532110Z", restarts: 0)
    (status.restart, status.restartDelaySeconds, status.restartBurst, status.restartIntervalSeconds) = ("always", 1, 1, 1)
    (status.memory, status.memorySwap, status.cpus, status.pids, status.startLimitReset) = (1, 1, 1, 1, true)
    let cases: [(String, any Encodable)] = [
        ("PortMapping", PortMapping(internal: 1, external: 2)),
        ("EnvironmentEntry", EnvironmentEntry(name: "A", value: "b")),
        ("VolumeMount", VolumeMount(hostPath: "/a", containerPath: "/b", readOnly: true)),
        ("LinkSpec", link),
        ("ContainerStatus", status),
        ("EventCursor", EventCursor(epoch: "e", seq: 1)),
        ("EventNotification", EventNotification(type: "change", subscription: "s", cursor: EventCursor(epoch: "e", seq: 1),
                                                time: 1, id: "a", event: "started", status: status,
                                                state: "active", subState: "running", reason: "r")),
        ("NodeIdentity", NodeIdentity(version: "v", hostname: "h")),
    ]
    for (name, value) in cases {
        #expect(try keys(value) == properties(name), "\(name)")
    }
}

@Test func schemaFilesParseAndFitWhatWeEmit() throws {
    let files = try listRepoDirectory("Protocol/schemas")
    #expect(files.contains("request.schema.json") && files.contains("response.schema.json") && files.contains("error.schema.json"))
    for f in files where f.hasSuffix(".json") {
        let schema = try JSONParser.parse(readRepoFile("Protocol/schemas/" + f))
        #expect(schema["$schema"]?.stringValue != nil, "\(f)")
    }
    // The error schema's required members are what RPCError writes.
    let errorSchema = try JSONParser.parse(readRepoFile("Protocol/schemas/error.schema.json"))
    let required = Set((errorSchema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
    #expect(required.isSubset(of: Set(RPCError(.busy, "m").jsonValue.objectValue!.keys)))
}

/// The bounds the document states are the node's (`ContractLimits`): one set of numbers, so a bound
/// changed on one side only fails here before Tests/e2e/test_contract.py sees it on a real node.
@Test func documentedBoundsAreTheNodes() throws {
    let doc = try document()
    let byName = try methods(doc)
    func param(_ method: String, _ name: String) throws -> JSONValue {
        let params = try #require(byName[method]?["params"]?.arrayValue)
        return try #require(params.first { $0["name"]?.stringValue == name }?["schema"], "\(method) \(name)")
    }
    func number(_ value: JSONValue?) -> Int? { value?.intValue.map(Int.init) }
    let schemas = doc["components"]?["schemas"]
    #expect(number(schemas?["RequestId"]?["maxLength"]) == ContractLimits.requestIdCharacters)
    #expect(number(schemas?["EnvironmentEntry"]?["properties"]?["name"]?["maxLength"]) == ContractLimits.environmentNameCharacters)
    #expect(number(schemas?["EnvironmentEntry"]?["properties"]?["value"]?["maxLength"]) == ContractLimits.environmentValueCharacters)
    for path in ["hostPath", "containerPath"] {
        #expect(number(schemas?["VolumeMount"]?["properties"]?[path]?["maxLength"]) == ContractLimits.pathCharacters)
    }
    let install = "container.install"
    #expect(number(try param(install, "command")["maxItems"]) == ContractLimits.commandArguments)
    #expect(number(try param(install, "command")["items"]?["maxLength"]) == ContractLimits.commandArgumentCharacters)
    #expect(number(try param(install, "ports")["maxItems"]) == ContractLimits.ports)
    #expect(number(try param(install, "volumes")["maxItems"]) == ContractLimits.volumes)
    #expect(number(try param(install, "links")["maxItems"]) == ContractLimits.links)
    #expect(number(try param("container.links.set", "links")["maxItems"]) == ContractLimits.links)
    for (method, name) in [(install, "environmentSource"), ("container.env.set", "environmentSource")] {
        #expect(number(try param(method, name)["maxLength"]) == ContractLimits.environmentSourceCharacters)
    }
    for (method, name) in [(install, "environment"), ("container.env.set", "environment"), ("container.env.patch", "set")] {
        #expect(number(try param(method, name)["maxItems"]) == ContractLimits.environmentVariables, "\(method) \(name)")
        #expect(number(try param(method, name)["x-berth-maxBytes"]) == ContractLimits.environmentBytes, "\(method) \(name)")
    }
    #expect(number(try param("container.env.patch", "unset")["maxItems"]) == ContractLimits.environmentVariables)
    func range(_ name: String) throws -> (Double?, Double?) {
        let schema = try param(install, name)
        return (schema["minimum"]?.doubleValue, schema["maximum"]?.doubleValue)
    }
    #expect(try range("restartDelaySeconds") == (0, Double(ContractLimits.restartSeconds)))
    #expect(try range("restartIntervalSeconds") == (0, Double(ContractLimits.restartSeconds)))
    #expect(try range("restartBurst") == (1, Double(ContractLimits.restartBurst)))
    for name in ["memory", "memorySwap"] {
        #expect(try range(name) == (Double(ContractLimits.memoryMinimumBytes), Double(ContractLimits.memoryMaximumBytes)), "\(name)")
    }
    #expect(try range("cpus") == (Double(ContractLimits.cpusMinimumThousandths) / 1000, Double(ContractLimits.cpusMaximum)))
    #expect(try range("pids") == (Double(ContractLimits.pidsMinimum), Double(ContractLimits.pidsMaximum)))
}

/// The roles table is the document: every method names a role, and a method is marked as a
/// mutation (audited) exactly when it takes a requestId (the document's own word for a mutation,
/// x-berth-rules.idempotency), so a new mutation cannot slip past the audit log.
@Test func everyMethodNamesItsRoleAndMutationsAreTheRequestIdMethods() throws {
    let documented = try methods(document())
    for (name, m) in documented {
        let role = try #require(m["x-berth-role"]?.stringValue, "\(name) lacks x-berth-role")
        #expect(Role(rawValue: role) != nil, "\(name): x-berth-role \(role)")
        guard let mutates = m["x-berth-mutates"]?.boolValue else {
            Issue.record("\(name) lacks x-berth-mutates")
            continue
        }
        let takesRequestId = (m["params"]?.arrayValue ?? []).contains { $0["name"] == "requestId" }
        #expect(mutates == takesRequestId, "\(name): x-berth-mutates \(mutates) but requestId \(takesRequestId)")
        #expect(MethodAccess.of(name) == MethodAccess(role: Role(rawValue: role) ?? .admin, mutates: mutates), "\(name)")
    }
    // What docs/protocol.md promises of the roles.
    #expect(MethodAccess.of("container.env.get").role == .admin)
    #expect(MethodAccess.of("container.start").role == .operate)
    #expect(MethodAccess.of("container.logs").role == .read)
    #expect(MethodAccess.of("no.such.method") == .undocumented)
}
