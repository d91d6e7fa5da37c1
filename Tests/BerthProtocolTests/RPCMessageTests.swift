import Testing
import BerthProtocol

@Test func paramsDecodeStrictlyWithNamedErrors() throws {
    func params(_ line: String) throws -> RPCRequest {
        guard case .request(let r) = RPCFrame.decode(line) else { throw RPCError.internal("not a request") }
        return r
    }
    let hello = try params(#"{"jsonrpc":"2.0","id":1,"method":"node.hello","params":{"protocols":[1],"client":"berth/0.1"}}"#)
    #expect(try hello.decodeParams(HelloParams.self) == HelloParams(protocols: [1], client: "berth/0.1"))

    let typo = try params(#"{"jsonrpc":"2.0","id":1,"method":"node.hello","params":{"protocols":[1],"clinet":"x"}}"#)
    do {
        _ = try typo.decodeParams(HelloParams.self)
        Issue.record("accepted an unknown parameter")
    } catch {
        #expect(error.kind == .invalidParams)
        #expect(error.code == -32602)
        #expect(error.details["path"] == "clinet")
    }
    let missing = try params(#"{"jsonrpc":"2.0","id":1,"method":"node.hello","params":{}}"#)
    do {
        _ = try missing.decodeParams(HelloParams.self)
        Issue.record("accepted missing protocols")
    } catch {
        #expect(error.message.contains("protocols"))
    }
    let positional = try params(#"{"jsonrpc":"2.0","id":1,"method":"node.ping","params":[1]}"#)
    #expect(throws: RPCError.self) { try positional.decodeParams(PingParams.self) }
    // Absent params read as {}.
    let bare = try params(#"{"jsonrpc":"2.0","id":1,"method":"node.ping"}"#)
    #expect(try bare.decodeParams(PingParams.self) == PingParams())
}

@Test func pingHotPathMatchesTheCodablePath() throws {
    #expect(try PingResult.respond(to: nil) == JSONValueEncoder().encode(PingResult()))
    #expect(try PingResult.respond(to: ["echo": [1, "x"]]) == JSONValueEncoder().encode(PingResult(echo: [1, "x"])))
    #expect(throws: RPCError.self) { try PingResult.respond(to: ["ech": 1]) }
    #expect(throws: RPCError.self) { try PingResult.respond(to: [1]) }
    let line = RPCFrame.encode(.success(id: 1, result: try PingResult.respond(to: nil)))
    #expect(text(line) == "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"pong\":true}}\n")
}

@Test func requestsEncodeAsOneSortedLine() throws {
    let r = try RPCRequest(id: 1, method: "node.hello", encoding: HelloParams(protocols: [1], client: "t\n"))
    #expect(text(RPCFrame.encode(r)) == #"{"id":1,"jsonrpc":"2.0","method":"node.hello","params":{"client":"t\n","protocols":[1]}}"# + "\n")
    let n = RPCRequest(id: nil, method: "events.event", params: ["seq": 3])
    #expect(text(RPCFrame.encode(n)) == #"{"jsonrpc":"2.0","method":"events.event","params":{"seq":3}}"# + "\n")
    let batch = RPCFrame.encodeBatch([r, n])
    #expect(batch.filter { $0 == 0x0A }.count == 1)
    guard case .batch(let members) = RPCFrame.decode(Array(batch.dropLast())) else {
        Issue.record("batch did not decode")
        return
    }
    #expect(members == [.request(r), .request(n)])
}

@Test func clientsReadResponsesAndNotifications() throws {
    let info = NodeInfo(version: "0.1.0", hostname: "h1", addresses: ["198.18.0.1"], protocols: [1], capabilities: [Capability.events],
                        uptimeSeconds: 12, managerMode: "user", runtime: "podman", stateDir: "/var/lib/berth")
    let line = RPCFrame.encode(.success(id: "a", encoding: info))
    guard case .response(let r) = try RPCFrame.decodeFromNode(Array(line.dropLast())) else {
        Issue.record("not a response")
        return
    }
    #expect(try r.decodeResult(NodeInfo.self) == info)
    // A newer node's extra result members are ignored by clients.
    var extended = try #require(r.result?.objectValue)
    extended["futureField"] = true
    #expect(try RPCResponse.success(id: "a", result: .object(extended)).decodeResult(NodeInfo.self) == info)

    guard case .notification(let n) = try RPCFrame.decodeFromNode(bytes(#"{"jsonrpc":"2.0","method":"events.event","params":{"seq":1}}"#)) else {
        Issue.record("not a notification")
        return
    }
    #expect(n.method == "events.event")
    #expect(throws: RPCError.self) { try RPCFrame.decodeFromNode(bytes(#"{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}}"#)) }
    #expect(throws: RPCError.self) { try RPCFrame.decodeFromNode(bytes("{oops")) }
    #expect(throws: RPCError.self) { try RPCResponse.failure(id: 1, error: .internal("x")).decodeResult(NodeInfo.self) }
}

@Test func helloResultWireShape() throws {
    let hello = HelloResult(protocol: 1, node: NodeIdentity(version: "0.1.0", hostname: "h"), capabilities: ["batches"])
    #expect(text(try JSONValueEncoder().encode(hello).serialized())
        == #"{"authRequired":false,"capabilities":["batches"],"node":{"hostname":"h","version":"0.1.0"},"protocol":1}"#)
}
