import BerthDBus
import BerthSystemd

/// The one connection a `DBusSystemdClient` shares among its callers: opened on first use, by one
/// caller while the others wait for it, and replaced after it drops. Each connection has a
/// generation, so a caller that saw a drop closes that connection, not a newer one.
actor SystemdBusSlot {
    let socketPath: String
    private var current: (bus: SystemdManagerBus, generation: Int)?
    private var connecting: Task<(bus: SystemdManagerBus, generation: Int), any Error>?
    private var generation = 0
    /// Run with every new connection, after Subscribe, before any caller gets it.
    private let handlers: [@Sendable (SystemdManagerBus) -> Void]

    init(socketPath: String, handlers: [@Sendable (SystemdManagerBus) -> Void] = []) {
        self.socketPath = socketPath
        self.handlers = handlers
    }

    /// The open connection, or a new one; while the socket refuses, keeps trying for `window`.
    func bus(window: Duration) async throws -> (bus: SystemdManagerBus, generation: Int) {
        if let current, !current.bus.connection.isClosed { return current }
        if let connecting { return try await connecting.value }
        generation += 1
        let (path, number, handlers) = (socketPath, generation, handlers)
        let task = Task { () async throws -> (bus: SystemdManagerBus, generation: Int) in
            let deadline = ContinuousClock.now + window
            while true {
                do {
                    let bus = SystemdManagerBus(connection: try await DBusConnection.connect(path: path))
                    do { try await bus.subscribe() } catch {
                        bus.connection.close()
                        throw error
                    }
                    for handler in handlers { handler(bus) }
                    return (bus, number)
                } catch {
                    // A restarting manager removes and recreates its socket: refusals are worth waiting out.
                    guard ContinuousClock.now < deadline else { throw error }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        connecting = task
        defer { connecting = nil }
        let opened = try await task.value
        current = opened
        return opened
    }

    /// Closes the connection of `generation` (any, when nil) if it is still the current one.
    func drop(generation dropped: Int?) {
        guard let current, dropped == nil || current.generation == dropped else { return }
        current.bus.connection.close()
        self.current = nil
    }
}
