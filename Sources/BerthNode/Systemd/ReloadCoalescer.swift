/// Coalesces `daemon-reload`: a caller that has written unit files needs one reload that *starts
/// after* its writes. Callers arriving while a reload runs share the next one; callers arriving
/// before that next one starts share it too. So N concurrent installs cost about two reloads.
public actor ReloadCoalescer {
    public let client: any SystemdClient
    /// Reloads actually issued (for tests and benchmarks).
    public private(set) var reloadCount = 0
    private var pending: Task<Void, any Error>?
    private var running: Task<Void, any Error>?

    public init(client: any SystemdClient) { self.client = client }

    /// Returns once a reload that started after this call has finished.
    public func reload() async throws {
        if let pending { return try await pending.value }
        let previous = running
        let client = client
        let task = Task<Void, any Error> {
            _ = try? await previous?.value
            self.begin()
            try await client.daemonReload()
        }
        pending = task
        try await task.value
    }

    private func begin() {
        running = pending
        pending = nil
        reloadCount += 1
    }
}
