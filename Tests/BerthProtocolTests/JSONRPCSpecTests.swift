import Testing
import BerthProtocol

/// The spec's own example server (subtract, sum, get_data; notifications update, foobar, notify_*),
/// built on RPCFrame exactly the way the node is: decode a line, dispatch requests, encode replies.
private func serve(_ line: String) -> String? {
    func call(_ r: RPCRequest) -> RPCResponse? {
        let outcome: RPCResponse.Outcome
        let p = r.params
        switch r.method {
        case "subtract":
            if let a = p?[0]?.intValue, let b = p?[1]?.intValue { outcome = .result(.int(a - b)) }
            else if let m = p?["minuend"]?.intValue, let s = p?["subtrahend"]?.intValue { outcome = .result(.int(m - s)) }
            else { outcome = .error(.invalidParams("need two numbers")) }
        case "sum":
            outcome = .result(.int((p?.arrayValue ?? []).compactMap(\.intValue).reduce(0, +)))
        case "get_data":
            outcome = .result(["hello", 5])
        case "update", "notify_hello", "notify_sum":
            outcome = .result(.null)
        case "foobar" where r.isNotification:
            outcome = .result(.null)
        default:
            outcome = .error(.methodNotFound(r.method))
        }
        guard let id = r.id else { return nil }
        return RPCResponse(id: id, outcome: outcome)
    }
    switch RPCFrame.decode(line) {
    case .ignore: return nil
    case .reply(let response): return text(RPCFrame.encode(response))
    case .request(let r): return call(r).map { text(RPCFrame.encode($0)) }
    case .batch(let members):
        let responses = members.compactMap { m -> RPCResponse? in
            switch m {
            case .request(let r): return call(r)
            case .invalid(let response): return response
            }
        }
        return RPCFrame.encodeBatch(responses).map(text)
    }
}

/// Compares a reply to the spec's expected text in meaning: parsed values equal, except that the
/// spec's error objects carry only code and message (ours add data.kind and a longer message).
private func expectReply(_ line: String, _ expected: String?, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let reply = serve(line)
    guard let expected else {
        #expect(reply == nil, "expected no reply", sourceLocation: sourceLocation)
        return
    }
    let got = try #require(reply, sourceLocation: sourceLocation)
    #expect(got.hasSuffix("\n") && got.dropLast().firstIndex(of: "\n") == nil, sourceLocation: sourceLocation)
    #expect(try normalize(json(got)) == normalize(json(expected)), sourceLocation: sourceLocation)
}

private func normalize(_ v: JSONValue) -> JSONValue {
    switch v {
    case .array(let a): return .array(a.map(normalize))
    case .object(var o):
        if case .object(var e)? = o["error"] {
            e["message"] = nil
            if case .object(let data)? = e["data"], let kind = data["kind"] {
                #expect(e["code"]?.intValue.map { ErrorKind.forCode(Int($0)) } == ErrorKind(rawValue: kind.stringValue ?? ""))
            }
            e["data"] = nil
            o["error"] = .object(e)
        }
        return .object(o)
    default: return v
    }
}

@Test func positionalParameters() throws {
    try expectReply(#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#, #"{"jsonrpc": "2.0", "result": 19, "id": 1}"#)
    try expectReply(#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#, #"{"jsonrpc": "2.0", "result": -19, "id": 2}"#)
}

@Test func namedParameters() throws {
    try expectReply(#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#, #"{"jsonrpc": "2.0", "result": 19, "id": 3}"#)
    try expectReply(#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#, #"{"jsonrpc": "2.0", "result": 19, "id": 4}"#)
}

@Test func notificationsGetNoReply() throws {
    try expectReply(#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#, nil)
    try expectReply(#"{"jsonrpc": "2.0", "method": "foobar"}"#, nil)
}

@Test func nonExistentMethod() throws {
    try expectReply(#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#, #"{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}"#)
}

@Test func invalidJSON() throws {
    try expectReply(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#, #"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#)
}

@Test func invalidRequestObject() throws {
    try expectReply(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#, #"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#)
}

@Test func batchWithInvalidJSON() throws {
    try expectReply(#"[ {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method" ]"#,
                    #"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#)
}

@Test func emptyArray() throws {
    try expectReply("[]", #"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#)
}

@Test func invalidNonEmptyBatches() throws {
    try expectReply("[1]", #"[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]"#)
    try expectReply("[1,2,3]", #"""
        [{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
         {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
         {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]
        """#)
}

@Test func mixedBatch() throws {
    try expectReply(#"""
        [{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}, {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"}, {"foo": "boo"}, {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"}, {"jsonrpc": "2.0", "method": "get_data", "id": "9"}]
        """#, #"""
        [{"jsonrpc": "2.0", "result": 7, "id": "1"}, {"jsonrpc": "2.0", "result": 19, "id": "2"}, {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}, {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"}, {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}]
        """#)
}

@Test func batchOfNotificationsOnly() throws {
    try expectReply(#"[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]"#, nil)
}

@Test func blankLinesAreIgnored() {
    #expect(RPCFrame.decode("") == .ignore)
    #expect(RPCFrame.decode(" \t ") == .ignore)
}

@Test(arguments: [
    (#"{"method":"x","id":1}"#, "jsonrpc"),
    (#"{"jsonrpc":"1.0","method":"x","id":1}"#, "jsonrpc"),
    (#"{"jsonrpc":2.0,"method":"x","id":1}"#, "jsonrpc"),
    (#"{"jsonrpc":"2.0","id":1}"#, "method"),
    (#"{"jsonrpc":"2.0","method":"x","params":"s","id":1}"#, "params"),
    (#"{"jsonrpc":"2.0","method":"x","params":null,"id":1}"#, "params"),
    (#"{"jsonrpc":"2.0","method":"x","id":{}}"#, "id"),
    (#"{"jsonrpc":"2.0","method":"x","id":[1]}"#, "id"),
    ("\"just a string\"", "request object"),
])
func invalidRequestsAreExplained(_ line: String, _ word: String) throws {
    guard case .reply(let response) = RPCFrame.decode(line), let error = response.error else {
        Issue.record("accepted \(line)")
        return
    }
    #expect(error.kind == .invalidRequest)
    #expect(error.code == -32600)
    #expect(error.message.contains(word))
}

@Test func invalidRequestsEchoAWellFormedId() {
    guard case .reply(let r) = RPCFrame.decode(#"{"jsonrpc":"2.0","method":5,"id":"abc"}"#) else {
        Issue.record("accepted")
        return
    }
    #expect(r.id == .string("abc"))
}

@Test func idsOfEveryKindAreEchoed() throws {
    for (raw, id) in [("7", RPCID.int(7)), ("\"s\"", .string("s")), ("null", .null), ("1.5", .double(1.5))] {
        guard case .request(let r) = RPCFrame.decode(#"{"jsonrpc":"2.0","method":"m","id":\#(raw)}"#) else {
            Issue.record("refused id \(raw)")
            continue
        }
        #expect(r.id == id)
        #expect(!r.isNotification)
        let line = text(RPCFrame.encode(.success(id: r.id!, result: true)))
        #expect(line == #"{"id":\#(raw),"jsonrpc":"2.0","result":true}"# + "\n")
    }
}
