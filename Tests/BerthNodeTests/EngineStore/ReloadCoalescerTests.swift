import Testing
import BerthSystem
@testable import BerthNode

/// A SystemdClient for unit tests of the engine's own logic: counts reloads, slowly.
final class CountingSystemd: SystemdClient, Sendable {
    private let state = Lock((reloads: 0, held: [UnitListing]()))
    var reloads: Int { state.withLock { $0.reloads } }
    /// What `listUnits` answers: the units systemd "holds", whatever the pattern.
    var held: [UnitListing] {
        get { state.withLock { $0.held } }
        set { state.withLock { $0.held = newValue } }
    }
    /// How long a reload takes.
    let reloadTime: Duration
    init(reloadTime: Duration = .milliseconds(50)) { self.reloadTime = reloadTime }
    func daemonReload() async throws(SystemdError) {
        try? await Task.sleep(for: reloadTime)
        state.withLock { $0.reloads += 1 }
    }
    func start(_ unit: String) async throws(SystemdError) {}
    func stop(_ unit: String, wait: Bool) async throws(SystemdError) {}
    func restart(_ unit: String) async throws(SystemdError) {}
    func resetFailed(_ unit: String) async throws(SystemdError) {}
    func show(_ units: [String], properties: [String]) async throws(SystemdError) -> [String: [String: String]] {
        Dictionary(uniqueKeysWithValues: units.map { ($0, ["LoadState": "loaded", "ActiveState": "inactive", "SubState": "dead", "MainPID": "0"]) })
    }
    func listUnits(matching pattern: String) async throws(SystemdError) -> [UnitListing] { held }
}

@Suite struct ReloadCoalescerTests {
    @Test func concurrentCallersShareReloads() async throws {
        // Reloads long enough that 32 callers started together arrive within two of them even when
        // the suite's other tests keep the pool's two threads busy (50 ms left little room).
        let client = CountingSystemd(reloadTime: .milliseconds(200))
        let coalescer = ReloadCoalescer(client: client)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<32 { group.addTask { try await coalescer.reload() } }
            try await group.waitForAll()
        }
        let count = await coalescer.reloadCount
        #expect(count >= 1 && count <= 3, "32 concurrent callers caused \(count) reloads")
        #expect(client.reloads == count)
        // A later caller gets a reload of its own (its writes happened after the last one began).
        try await coalescer.reload()
        #expect(await coalescer.reloadCount == count + 1)
    }
}
