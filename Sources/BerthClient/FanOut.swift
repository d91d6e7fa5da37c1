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
    public static func run<Value: Sendable>(_ nodes: [(address: NodeAddress, options: ConnectOptions)], timeout: Duration,
                                            _ body: @escaping @Sendable (NodeClient) async throws -> Value) async -> [NodeOutcome<Value>] {
        let addresses = nodes.map(\.address)
        return await withTaskGroup(of: (Int, Result<Value, any Error>).self) { group in
            for (index, (address, options)) in nodes.enumerated() {
                group.addTask {
                    do {
                        let value = try await withDeadline(timeout, address: address) {
                            try await NodeClient.withConnection(to: address, options: options, body)
                        }
                        return (index, .success(value))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Result<Value, any Error>?](repeating: nil, count: addresses.count)
            for await (index, result) in group { results[index] = result }
            return zip(addresses, results).map { NodeOutcome(address: $0, result: $1!) }
        }
    }

    static func withDeadline<Value: Sendable>(_ timeout: Duration, address: NodeAddress,
                                              _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Value?.self, returning: Value.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ClientError(.timedOut, "\(address): no answer within \(NodeClient.describe(timeout))")
            }
            return value
        }
    }
}
