import BerthSystem

/// One node's outcome in a fan-out.
public struct NodeOutcome<Value: Sendable>: Sendable {
    public let address: NodeAddress
    public let result: Result<Value, any Error>
    public init(address: NodeAddress, result: Result<Value, any Error>) {
        self.address = address
        self.result = result
    }
}

/// Runs work on many nodes at once.
public enum FanOut {
    /// Connects to every address in parallel and runs `body` on each, each node under its own
    /// `timeout` (connect included). Never fails fast: every node gets its outcome, in the order of
    /// `addresses`.
    public static func run<Value: Sendable>(_ addresses: [NodeAddress], options: ConnectOptions = ConnectOptions(),
                                            timeout: Duration,
                                            _ body: @escaping @Sendable (NodeClient) async throws -> Value) async -> [NodeOutcome<Value>] {
        await run(addresses.map { ($0, options) }, timeout: timeout, body)
    }

    /// The same, with each node's own connect options (its own secret).
    ///
    /// All nodes start together, so one deadline serves them all: a single timer task instead of a
    /// timer and a wrapper task per node (with 64 nodes on one machine those were a good part of the
    /// client's work). When it fires, the nodes still working are cancelled and time out.
    public static func run<Value: Sendable>(_ nodes: [(address: NodeAddress, options: ConnectOptions)], timeout: Duration,
                                            _ body: @escaping @Sendable (NodeClient) async throws -> Value) async -> [NodeOutcome<Value>] {
        let addresses = nodes.map(\.address)
        return await withTaskGroup(of: (Int, Result<Value, any Error>)?.self) { group in
            for (index, (address, options)) in nodes.enumerated() {
                group.addTask {
                    do {
                        return (index, .success(try await NodeClient.withConnection(to: address, options: options, body)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil  // the deadline (or the sleep cancelled once every node answered)
            }
            var results = [Result<Value, any Error>?](repeating: nil, count: addresses.count)
            var pending = addresses.count
            while pending > 0, let next = await group.next() {
                guard let (index, result) = next else { break }
                results[index] = result
                pending -= 1
            }
            group.cancelAll()
            return zip(addresses, results).map { address, result in
                NodeOutcome(address: address, result: result ?? .failure(ClientError.noAnswer(address, within: timeout)))
            }
        }
    }
}

extension FanOut {
    /// Runs a plan of calls on many nodes at once: each node gets its calls one after another (each
    /// sent when the previous one is answered) and the answers come back with their round trips.
    /// Outcomes, order, errors and timeouts are those of `run`; a node's transport failure fails
    /// the node, a node's error answer is just that call's answer.
    ///
    /// Unix and TCP nodes are driven by `Exchanger` on one thread of its own; ssh nodes (a child
    /// process each) through `NodeClient`.
    ///
    /// With `agent`, tcp:// nodes go through `berth agent` (`AgentClient`), with the same outcomes.
    public static func exchange(_ nodes: [(address: NodeAddress, options: ConnectOptions, calls: [PlannedCall])],
                                timeout: Duration, agent: AgentRoute? = nil) async -> [NodeOutcome<[CallAnswer]>] {
        let deadline = ContinuousClock.now + timeout
        var results = [Result<[CallAnswer], any Error>?](repeating: nil, count: nodes.count)
        var direct: [(index: Int, node: Exchanger.Node)] = []
        var bySSH: [Int] = []
        var names: [Int] = []
        for (index, node) in nodes.enumerated() {
            switch node.address {
            case .ssh:
                bySSH.append(index)
            case .unix(let path):
                direct.append((index, Exchanger.Node(address: node.address, candidates: [.unix(path: path)],
                                                     options: node.options, calls: node.calls)))
            case .tcp(let host, let port):
                if let literal = SocketAddress.literal(host: host, port: port) {
                    direct.append((index, Exchanger.Node(address: node.address, candidates: [literal], options: node.options, calls: node.calls)))
                } else {
                    names.append(index)
                }
            }
        }
        // Host names: resolved in parallel (getaddrinfo blocks), then talked to like the rest.
        if !names.isEmpty {
            let resolved = await withTaskGroup(of: (Int, Result<[SocketAddress], any Error>).self) { group in
                for index in names {
                    guard case .tcp(let host, let port) = nodes[index].address else { continue }
                    group.addTask {
                        do { return (index, .success(try await SocketAddress.resolve(host: host, port: port))) } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                var all: [(Int, Result<[SocketAddress], any Error>)] = []
                for await item in group { all.append(item) }
                return all.sorted { $0.0 < $1.0 }
            }
            for (index, outcome) in resolved {
                let node = nodes[index]
                switch outcome {
                case .success(let candidates):
                    direct.append((index, Exchanger.Node(address: node.address, candidates: candidates, options: node.options, calls: node.calls)))
                case .failure(let error):
                    guard case .tcp(let host, _) = node.address else { continue }
                    results[index] = .failure(ClientError.unresolvable(node.address, host: host, error))
                }
            }
        }
        let sshNodes = bySSH.map { (nodes[$0].address, nodes[$0].options) }
        // Addresses are distinct (commands plan one entry per node).
        let sshCalls = Dictionary(bySSH.map { (nodes[$0].address, nodes[$0].calls) }, uniquingKeysWith: { first, _ in first })
        async let overSSH = sshNodes.isEmpty ? [] : run(sshNodes, timeout: timeout) { client in
            try await client.answers(to: sshCalls[client.address] ?? [])
        }
        let directNodes = direct.map(\.node)
        let answered: [Result<[CallAnswer], any Error>]
        if directNodes.isEmpty {
            answered = []
        } else {
            do {
                answered = try await DedicatedThread.run(name: "berth-fanout") {
                    Exchanger.run(directNodes, until: deadline, timeout: timeout, agent: agent)
                }
            } catch {
                let failure = ClientError(.unreachable, "cannot start the fan-out thread: \(error)")
                answered = directNodes.map { _ in .failure(failure) }
            }
        }
        for (k, (index, _)) in direct.enumerated() { results[index] = answered[k] }
        for (k, outcome) in await overSSH.enumerated() { results[bySSH[k]] = outcome.result }
        return zip(nodes, results).map { NodeOutcome(address: $0.address, result: $1!) }
    }
}
