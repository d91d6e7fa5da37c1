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
                NodeOutcome(address: address, result: result ?? .failure(
                    ClientError(.timedOut, "\(address): no answer within \(NodeClient.describe(timeout))")))
            }
        }
    }
}
