import BerthProtocol

/// A `NodeClient`'s session: the connection (`NodeConnector`), the reader and writer tasks, the
/// opening, the caller's body, the close, and ssh's reaping, so nothing outlives the call site.
extension NodeClient {
    /// Connects, runs the handshake (`Handshake`'s rules), runs `body`, and closes. Connection
    /// failures are `ClientError(.unreachable)`.
    @discardableResult
    public static func withConnection<R: Sendable>(to address: NodeAddress, options: ConnectOptions = ConnectOptions(),
                                                   _ body: (NodeClient) async throws -> R) async throws -> R {
        let (connection, ssh) = try await NodeConnector.connect(to: address, timeout: options.connectTimeout, options: options)
        let client = NodeClient(address: address, connection: connection, options: options)
        let outcome = await withTaskGroup(of: Void.self, returning: Result<R, any Error>.self) { group in
            group.addTask { await client.readLoop() }
            group.addTask { await client.writeLoop() }
            defer { group.cancelAll() }
            let outcome: Result<R, any Error>
            do { try await client.open(); outcome = .success(try await body(client)) } catch { outcome = .failure(error) }
            await client.end(ClientError.closedByUs(address))
            return outcome
        }
        await ssh?.finish()  // the session is over either way: stop and reap ssh before returning
        return try outcome.get()
    }

}
