import BerthProtocol
import BerthSystem

/// The lines `berth` and `berth agent` exchange over the agent's Unix socket (docs/cli.md, "berth
/// agent"): JSON-RPC 2.0, one object per line. `agent.exchange` carries one node's planned calls and
/// comes back with the node's answers, or with the client-side failure `berth` would have reported
/// itself; `agent.info` reports the agent's connections.
package enum AgentProtocol {
    package static let version = 1
    package static let exchange = "agent.exchange"
    package static let info = "agent.info"
    /// The longest line either side accepts: a node's answers to one fan-out may be long.
    package static let lineLimit = 16 << 20
    /// More candidate addresses or calls than a command ever plans is a malformed request.
    static let maximumCandidates = 64
    static let maximumCalls = 4096
    static let maximumMillis: Int64 = 86_400_000

    /// One node's exchange as `berth` asks the agent for it.
    package struct Exchange {
        package var node: Exchanger.Node
        /// Which pooled connections may serve it: the same node, addresses, secret and channel.
        package var key: PoolKey {
            PoolKey(address: node.address, candidates: node.candidates, secret: node.options.secret, tcpPlain: node.options.tcpPlain)
        }
    }

    package struct PoolKey: Hashable {
        var address: NodeAddress
        var candidates: [SocketAddress]
        var secret: AuthSecret?
        var tcpPlain = false
    }

    // MARK: berth's side

    /// The params of `agent.exchange` for `node` (only tcp:// nodes go to the agent).
    static func params(for node: Exchanger.Node) -> JSONValue {
        var members: [String: JSONValue] = [
            "node": .string(node.address.description),
            "candidates": .array(node.candidates.compactMap { candidate in
                guard let (host, port) = candidate.agentHostAndPort else { return nil }
                return .object(["host": .string(host), "port": .int(Int64(port))])
            }),
            "connectTimeoutMillis": .int(millis(node.options.connectTimeout)),
            "calls": .array(node.calls.map { call in
                var members: [String: JSONValue] = ["method": .string(call.method)]
                if let params = call.params { members["params"] = params }
                return .object(members)
            }),
        ]
        if let limit = node.options.callTimeout { members["callTimeoutMillis"] = .int(millis(limit)) }
        if let secret = node.options.secret { members["secret"] = .string(secret.hexForAgent) }
        if node.options.tcpPlain { members["tcpPlain"] = .bool(true) }
        return .object(members)
    }

    /// What the agent answered for `node`: the node's answers, or the failure to report for it.
    static func outcome(of response: RPCResponse, for node: Exchanger.Node, agent path: String) -> Result<[CallAnswer], any Error> {
        if let error = response.error {
            return .failure(ClientError(.protocolViolation, "\(node.address): berth agent at \(path) refused the exchange: \(error.message)"))
        }
        guard case .object(let members)? = response.result else {
            return .failure(malformed(node, path, "a result that is not an object"))
        }
        if case .object(let failure)? = members["failure"] {
            guard let name = failure["code"]?.stringValue, let message = failure["message"]?.stringValue else {
                return .failure(malformed(node, path, "a failure without code and message"))
            }
            return .failure(ClientError(ClientError.Code(named: name) ?? .protocolViolation, message))
        }
        guard case .array(let items)? = members["answers"], items.count <= node.calls.count else {
            return .failure(malformed(node, path, "no answers list, or more answers than calls"))
        }
        var answers: [CallAnswer] = []
        answers.reserveCapacity(items.count)
        for (k, item) in items.enumerated() {
            guard case .object(let answer) = item, let raw = answer["response"], let micros = answer["roundTripMicros"]?.intValue,
                  let nodeResponse = try? RPCFrame.response(from: raw)
            else { return .failure(malformed(node, path, "an answer that is not a response")) }
            answers.append(CallAnswer(call: node.calls[k], response: nodeResponse, roundTrip: .microseconds(micros)))
        }
        return .success(answers)
    }

    private static func malformed(_ node: Exchanger.Node, _ path: String, _ what: String) -> ClientError {
        ClientError(.protocolViolation, "\(node.address): berth agent at \(path) answered with \(what)")
    }

    static func millis(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, min(maximumMillis, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    // MARK: the agent's side

    /// Reads `agent.exchange` params; a message naming what is wrong otherwise. `known` keeps the
    /// node addresses already parsed (a command names the same nodes every time).
    package static func exchange(from params: JSONValue?, known: inout [String: NodeAddress]) throws(RPCError) -> Exchange {
        guard case .object(let members)? = params else { throw invalid("params must be an object") }
        guard let text = members["node"]?.stringValue else { throw invalid("\"node\" must be a node address string") }
        let address: NodeAddress
        if let parsed = known[text] {
            address = parsed
        } else {
            do { address = try NodeAddress(parsing: text) } catch { throw invalid("\"node\": \(error.description)") }
            if known.count >= 4096 { known.removeAll() }
            known[text] = address
        }
        guard case .tcp = address else { throw invalid("\"node\": the agent keeps tcp:// connections only, got \(address)") }
        guard case .array(let rawCandidates)? = members["candidates"], !rawCandidates.isEmpty,
              rawCandidates.count <= maximumCandidates else {
            throw invalid("\"candidates\" must be a list of 1 to \(maximumCandidates) {host, port} objects")
        }
        var candidates: [SocketAddress] = []
        for raw in rawCandidates {
            guard case .object(let c) = raw, let host = c["host"]?.stringValue, let port = c["port"]?.intValue,
                  let port16 = UInt16(exactly: port), port16 > 0, let literal = SocketAddress.literal(host: host, port: port16)
            else { throw invalid("\"candidates\": each must be {\"host\": an IP literal, \"port\": 1-65535}") }
            candidates.append(literal)
        }
        var secret: AuthSecret?
        if let raw = members["secret"] {
            guard let hex = raw.stringValue, let parsed = AuthSecret(hexForAgent: hex) else {
                throw invalid("\"secret\" must be the secret's bytes in hex, at least \(AuthSecret.minimumByteCount) of them")
            }
            secret = parsed
        }
        let connect = try duration(members["connectTimeoutMillis"], "connectTimeoutMillis", required: true)!
        let call = try duration(members["callTimeoutMillis"], "callTimeoutMillis", required: false)
        guard case .array(let rawCalls)? = members["calls"], rawCalls.count <= maximumCalls else {
            throw invalid("\"calls\" must be a list of at most \(maximumCalls) {method, params} objects")
        }
        var calls: [PlannedCall] = []
        calls.reserveCapacity(rawCalls.count)
        for raw in rawCalls {
            guard case .object(let c) = raw, let method = c["method"]?.stringValue else {
                throw invalid("\"calls\": each must be an object with a \"method\" string")
            }
            let params = c["params"]
            switch params {
            case nil, .object?, .array?: break
            default: throw invalid("\"calls\": \"params\" must be an object or an array")
            }
            calls.append(PlannedCall(method: method, params: params))
        }
        var options = ConnectOptions(connectTimeout: connect, callTimeout: call, secret: secret, clientName: "berth-agent/0.1")
        options.hello = true
        switch members["tcpPlain"] {
        case nil, .bool(false)?: break
        case .bool(true)?: options.tcpPlain = true
        default: throw invalid("\"tcpPlain\" must be true or false")
        }
        let node = Exchanger.Node(address: address, candidates: candidates, options: options, calls: calls)
        return Exchange(node: node)
    }

    private static func duration(_ value: JSONValue?, _ name: String, required: Bool) throws(RPCError) -> Duration? {
        guard let value else {
            if required { throw invalid("\"\(name)\" is required") }
            return nil
        }
        guard let millis = value.intValue, millis >= 1, millis <= maximumMillis else {
            throw invalid("\"\(name)\" must be a whole number of milliseconds from 1 to \(maximumMillis)")
        }
        return .milliseconds(millis)
    }

    private static func invalid(_ message: String) -> RPCError {
        RPCError(.invalidParams, "agent.exchange: " + message)
    }

    /// The answer line for a finished exchange: the node's responses embedded as they came.
    package static func answerLine(id: RPCID, answers: [CallAnswer]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 * (answers.count + 1))
        out += Array(#"{"id":"#.utf8)
        id.jsonValue.serialize(into: &out)
        out += Array(#","jsonrpc":"2.0","result":{"answers":["#.utf8)
        for (k, answer) in answers.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"response":"#.utf8)
            RPCFrame.appendResponseObject(answer.response, to: &out)
            let (seconds, attoseconds) = answer.roundTrip.components
            out += Array(#","roundTripMicros":\#(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)}"#.utf8)
        }
        out += Array("]}}\n".utf8)
        return out
    }

    /// The answer line for an exchange that failed on the client's side of the node.
    package static func failureLine(id: RPCID, _ error: any Error) -> [UInt8] {
        let code: String
        let message: String
        if let error = error as? ClientError {
            code = error.code.description
            message = error.message
        } else {
            code = ClientError.Code.protocolViolation.description
            message = "\(error)"
        }
        let failure: JSONValue = .object(["failure": .object(["code": .string(code), "message": .string(message)])])
        return RPCFrame.encode(RPCResponse.success(id: id, result: failure))
    }
}

extension SocketAddress {
    /// The address as `agent.exchange` candidates carry it; nil for Unix and scoped IPv6 addresses
    /// (nodes with those are talked to directly).
    var agentHostAndPort: (host: String, port: UInt16)? {
        switch self {
        case .ipv4(let address, let port): ("\(address)", port)
        case .ipv6(let address, let port, 0): ("\(address)", port)
        default: nil
        }
    }
}
