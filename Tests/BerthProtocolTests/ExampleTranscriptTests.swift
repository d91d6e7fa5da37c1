import Testing
import BerthProtocol

/// The matcher of Protocol/examples/README.md.
func matches(_ pattern: JSONValue, _ actual: JSONValue?) -> Bool {
    switch pattern {
    case .string(let s) where s.hasPrefix("$$"):
        return actual == .string(String(s.dropFirst()))
    case .string(let s) where s.hasPrefix("$"):
        guard let actual else { return s == "$absent" }
        switch (s, actual) {
        case ("$any", _), ("$string", .string), ("$number", .int), ("$number", .double), ("$integer", .int),
             ("$bool", .bool), ("$null", .null), ("$array", .array), ("$object", .object):
            return true
        default:
            return false
        }
    case .object(let members) where members.count == 1 && members["$unordered"] != nil:
        guard case .array(let patterns)? = members["$unordered"], case .array(var remaining)? = actual,
              patterns.count == remaining.count else { return false }
        for p in patterns {
            guard let k = remaining.firstIndex(where: { matches(p, $0) }) else { return false }
            remaining.remove(at: k)
        }
        return true
    case .object(let members):
        guard case .object(let got)? = actual else { return false }
        return members.allSatisfy { key, p in matches(p, got[key]) }
    case .array(let patterns):
        guard case .array(let got)? = actual, got.count == patterns.count else { return false }
        return zip(patterns, got).allSatisfy { matches($0, $1) }
    case .int, .double:
        return actual?.doubleValue == pattern.doubleValue && actual?.doubleValue != nil
    default:
        return actual == pattern
    }
}

/// A node built from BerthProtocol alone, serving the pure methods the way berthd does.
struct ReferenceNode {
    var framer = LineFramer()
    var closed = false

    mutating func receive(_ input: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        do {
            try input.withUnsafeBufferPointer { buffer in
                try framer.feed(buffer) { line in
                    if let reply = Self.handle(line) { out.append(reply) }
                }
            }
        } catch {
            out.append(RPCFrame.encode(.failure(id: .null, error: .lineTooLong(limit: framer.limit))))
            closed = true
        }
        return out
    }

    static func handle(_ line: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        switch RPCFrame.decode(line) {
        case .ignore: return nil
        case .reply(let r): return RPCFrame.encode(r)
        case .request(let r): return call(r).map { RPCFrame.encode($0) }
        case .batch(let members):
            return RPCFrame.encodeBatch(members.compactMap {
                switch $0 {
                case .request(let r): return call(r)
                case .invalid(let r): return r
                }
            })
        }
    }

    static func call(_ r: RPCRequest) -> RPCResponse? {
        let outcome: RPCResponse.Outcome
        do throws(RPCError) {
            switch MethodName(rawValue: r.method) {
            case .nodePing:
                outcome = .result(try PingResult.respond(to: r.params))
            case .nodeHello:
                let p = try r.decodeParams(HelloParams.self)
                let chosen = try ProtocolVersion.negotiate(clientSpeaks: p.protocols)
                outcome = .result(encode(HelloResult(protocol: chosen, node: NodeIdentity(version: "0.0.0", hostname: "ref"),
                                                     capabilities: [Capability.batches])))
            case .nodeInfo:
                _ = try r.decodeParams(EmptyParams.self)
                outcome = .result(encode(NodeInfo(version: "0.0.0", hostname: "ref", addresses: [], protocols: Array(ProtocolVersion.supported),
                                                  capabilities: [], uptimeSeconds: 1, managerMode: "user", runtime: "podman",
                                                  stateDir: "/var/lib/berth")))
            case .rpcDiscover:
                outcome = .result(OpenRPCDocument.value)
            default:
                throw RPCError.methodNotFound(r.method)
            }
        } catch {
            outcome = .error(error)
        }
        return r.id.map { RPCResponse(id: $0, outcome: outcome) }
    }

    static func encode(_ v: some Encodable) -> JSONValue { try! JSONValueEncoder().encode(v) }
}

private struct EmptyParams: Codable {}

private let exampleFiles: [String] = (try? listRepoDirectory("Protocol/examples").filter { $0.hasSuffix(".jsonl") }) ?? []

@Test func everyPromisedTranscriptExists() {
    for name in ["node.hello", "node.info", "node.ping", "rpc.discover", "errors.parse", "errors.invalid-request",
                 "errors.method-not-found", "errors.invalid-params", "errors.batch", "errors.unsupported-version"] {
        #expect(exampleFiles.contains(name + ".jsonl"), "\(name).jsonl missing")
    }
}

@Test(arguments: exampleFiles)
func transcriptReplaysAgainstTheReferenceNode(_ file: String) throws {
    var node = ReferenceNode()
    var pending: [[UInt8]] = []
    var expects = 0
    for (number, raw) in try readRepoFile("Protocol/examples/" + file).split(separator: "\n").enumerated() {
        let step = try JSONParser.parse(String(raw))
        let members = try #require(step.objectValue, "\(file):\(number + 1)")
        #expect(members.count == 1, "\(file):\(number + 1) has more than one directive")
        if let line = members["send"]?.stringValue {
            pending += node.receive(Array(line.utf8) + [0x0A])
        } else if let hex = members["sendHex"]?.stringValue {
            pending += node.receive(try #require(Hex.decode(hex)))
        } else if let fill = members["sendFill"] {
            let byte = try #require(fill["byte"]?.stringValue?.utf8.first)
            let count = try #require(fill["count"]?.intValue)
            pending += node.receive([UInt8](repeating: byte, count: Int(count)) + [0x0A])
        } else if let pattern = members["expect"] {
            expects += 1
            guard !pending.isEmpty else {
                Issue.record("\(file):\(number + 1): expected a line, the node sent none")
                continue
            }
            let line = pending.removeFirst()
            #expect(line.last == 0x0A && line.dropLast().firstIndex(of: 0x0A) == nil)
            let got = try JSONParser.parse(Array(line.dropLast()))
            #expect(matches(pattern, got), "\(file):\(number + 1): \(got) does not match \(pattern)")
        } else if members["expectClosed"] != nil {
            #expect(node.closed, "\(file):\(number + 1): the connection should be closed")
        } else {
            #expect(members["comment"]?.stringValue != nil, "\(file):\(number + 1): unknown directive")
        }
    }
    #expect(pending.isEmpty, "\(file): unexpected extra lines \(pending.map(text))")
    #expect(expects > 0)
}

@Test func theMatcherFollowsItsRules() throws {
    #expect(matches(["a": "$string", "b": "$absent"], ["a": "x", "c": 1]))
    #expect(!matches(["a": "$string", "b": "$absent"], ["a": "x", "b": nil]))
    #expect(!matches(["a": "$integer"], ["a": 1.5]))
    #expect(matches(["a": "$number"], ["a": 1.5]))
    #expect(matches(1, 1.0))
    #expect(!matches([1, 2], [2, 1]))
    #expect(matches(["$unordered": [1, 2]], [2, 1]))
    #expect(!matches(["$unordered": [1, 1]], [1, 2]))
    #expect(matches("$$any", "$any"))
    #expect(!matches("$$any", "x"))
    #expect(matches("$any", nil) == false)
}
