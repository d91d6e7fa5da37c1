import BerthProtocol
import BerthSystem

/// Where `berth` finds its agent, and how it tells the user it went without one.
public struct AgentRoute: Sendable {
    public var path: String
    /// Called (once) with a line for standard error when the agent cannot be reached.
    public var warn: @Sendable (String) -> Void

    public init(path: String, warn: @escaping @Sendable (String) -> Void) {
        self.path = path
        self.warn = warn
    }
}

/// `berth`'s side of `berth agent`: one connection to the agent carries every tcp:// node's planned
/// calls at once (one `agent.exchange` line per node), and the answers come back together once the
/// last node is done (`AgentServer.burstLimit`). Runs on the fan-out thread, like `Exchanger`.
enum AgentClient {
    /// Whether `node` can go through the agent: tcp:// with addresses the agent's params can carry.
    static func accepts(_ node: Exchanger.Node) -> Bool {
        guard case .tcp = node.address else { return false }
        return !node.candidates.isEmpty && node.candidates.allSatisfy { $0.agentHostAndPort != nil }
    }

    /// Connects to the agent (non-blocking, for the fan-out's poll). Failing here (no socket,
    /// nothing listening, not a socket) means nothing was asked: the caller talks to the nodes itself.
    static func connect(_ path: String) throws -> Socket {
        let socket = try Socket.connect(to: .unix(path: path), timeout: .seconds(1))
        do { try socket.setNonBlocking(true) } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// One `agent.exchange` line per node, with ids 1...n.
    static func requests(for nodes: [Exchanger.Node]) -> [UInt8] {
        var out: [UInt8] = []
        for (k, node) in nodes.enumerated() {
            RPCFrame.encode(RPCRequest(id: .int(Int64(k + 1)), method: AgentProtocol.exchange, params: AgentProtocol.params(for: node)),
                            into: &out)
        }
        return out
    }

    /// Sends what is left of `requests(for: nodes)` (`outbox`), then reads the answers until every
    /// node has one or `deadline` passes. Results come in the order of `nodes`.
    static func exchange(_ nodes: [Exchanger.Node], over socket: Socket, outbox: [UInt8], agent path: String,
                         until deadline: ContinuousClock.Instant, timeout: Duration) -> [Result<[CallAnswer], any Error>] {
        var results = [Result<[CallAnswer], any Error>?](repeating: nil, count: nodes.count)
        func failRemaining(_ error: (Exchanger.Node) -> any Error) {
            for k in results.indices where results[k] == nil { results[k] = .failure(error(nodes[k])) }
        }
        var outbox = outbox
        var framer = LineFramer(limit: AgentProtocol.lineLimit)
        let loop = PollLoop<Void>()
        reading: while results.contains(where: { $0 == nil }) {
            do {
                while !outbox.isEmpty, let sent = try socket.send(outbox) {
                    outbox.removeFirst(sent)
                }
            } catch {
                failRemaining { ClientError(.closed, "\($0.address): cannot send to berth agent at \(path): \(error)") }
                break
            }
            if loop.now >= deadline {
                failRemaining { ClientError.noAnswer($0.address, within: timeout) }
                break
            }
            loop.watch(socket.descriptor, for: outbox.isEmpty ? .readable : [.readable, .writable], owner: ())
            loop.wake(at: deadline)
            var readable = false
            do {
                try loop.wait { _, events in readable = !events.isDisjoint(with: .input) }
            } catch {
                failRemaining { _ in ClientError(.closed, "cannot wait for berth agent at \(path): \(error)") }
                break
            }
            guard readable else { continue }
            let chunk: UnsafeBufferPointer<UInt8>
            do {
                switch try loop.read(socket.descriptor) {
                case .bytes(let bytes): chunk = bytes
                case .wouldBlock: continue reading
                case .end:
                    failRemaining { ClientError(.closed, "\($0.address): berth agent at \(path) closed the connection before answering") }
                    break reading
                }
            } catch {
                failRemaining { ClientError(.closed, "\($0.address): the connection to berth agent at \(path) failed: \(error)") }
                break
            }
            do {
                try framer.feed(chunk) { line in
                    let response: RPCResponse
                    do {
                        guard case .response(let r) = try RPCFrame.decodeFromNode(line) else { return }
                        response = r
                    } catch {
                        failRemaining { ClientError(.protocolViolation, "\($0.address): berth agent at \(path) sent an invalid line: \((error as? RPCError)?.message ?? "\(error)")") }
                        return
                    }
                    guard case .int(let id) = response.id, id >= 1, id <= Int64(nodes.count), results[Int(id - 1)] == nil else {
                        // Not an answer to one of ours: the agent refusing the connection as a whole.
                        if let error = response.error {
                            failRemaining { ClientError(.unreachable, "\($0.address): berth agent at \(path) refused: \(error.message)") }
                        }
                        return
                    }
                    let index = Int(id - 1)
                    results[index] = AgentProtocol.outcome(of: response, for: nodes[index], agent: path)
                }
            } catch {
                failRemaining { ClientError(.protocolViolation, "\($0.address): berth agent at \(path) sent a line longer than \(AgentProtocol.lineLimit) bytes") }
            }
        }
        return results.map { $0! }
    }
}

extension Exchanger {
    /// `run`, with the tcp:// nodes sent through the agent of `route` when there is one: the
    /// requests go to the agent first, the other nodes are talked to meanwhile, then the agent's
    /// answers are read. An agent that cannot be reached is reported through `route.warn` and the
    /// nodes are talked to directly.
    static func run(_ nodes: [Node], until deadline: ContinuousClock.Instant, timeout: Duration,
                    agent route: AgentRoute?) -> [Result<[CallAnswer], any Error>] {
        guard let route else { return run(nodes, until: deadline, timeout: timeout) }
        let viaAgent = nodes.indices.filter { AgentClient.accepts(nodes[$0]) }
        guard !viaAgent.isEmpty else { return run(nodes, until: deadline, timeout: timeout) }
        let socket: Socket
        do { socket = try AgentClient.connect(route.path) } catch {
            route.warn("berth: agent at \(route.path): \(error); connecting to the nodes directly")
            return run(nodes, until: deadline, timeout: timeout)
        }
        defer { socket.close() }
        let agentNodes = viaAgent.map { nodes[$0] }
        let chosen = Set(viaAgent)
        let others = nodes.indices.filter { !chosen.contains($0) }
        // The agent gets its work before the direct nodes are talked to, so both go on at once
        // (what the socket does not take now is sent by `exchange`).
        var outbox = AgentClient.requests(for: agentNodes)
        if let sent = try? socket.send(outbox) { outbox.removeFirst(sent) }
        let direct = others.isEmpty ? [] : run(others.map { nodes[$0] }, until: deadline, timeout: timeout)
        let fromAgent = AgentClient.exchange(agentNodes, over: socket, outbox: outbox, agent: route.path, until: deadline, timeout: timeout)
        var results = [Result<[CallAnswer], any Error>?](repeating: nil, count: nodes.count)
        for (k, index) in viaAgent.enumerated() { results[index] = fromAgent[k] }
        for (k, index) in others.enumerated() { results[index] = direct[k] }
        return results.map { $0! }
    }
}
