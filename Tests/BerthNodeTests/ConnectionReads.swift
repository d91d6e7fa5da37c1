import BerthSystem

extension Connection {
    /// One read that fails the test instead of hanging it when nothing (not even end of stream)
    /// comes within `limit`. (BerthSystemTests has its own: test targets do not share code.)
    func read(within limit: Duration) async throws -> [UInt8] {
        struct NothingCame: Error, CustomStringConvertible {
            let limit: Duration
            var description: String { "nothing came within \(limit)" }
        }
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { try await self.read() }
            group.addTask { try await Task.sleep(for: limit); return nil }
            let first = try await group.next()!
            group.cancelAll()
            guard let bytes = first else { throw NothingCame(limit: limit) }
            return bytes
        }
    }
}
