import BerthSystem
import Testing
@testable import BerthNode

/// The budgets the registry keeps at accept: every slot comes back when its connection goes, and
/// the unauthenticated budget and deadline let go of a connection exactly once.
@Suite struct ConnectionRegistryTests {
    private func writer() throws -> ResponseWriter {
        let (a, b) = try Socket.pair()
        b.close()
        return ResponseWriter(try Connection(a))
    }

    @Test func everyBudgetIsCheckedAndGivenBackOnRemove() throws {
        let registry = ConnectionRegistry(limits: .init(connections: 6, tcp: 4, unauthenticated: 2, perAddress: 3))
        let a = try (0..<2).map { _ in try registry.add(writer(), peer: .tcp(address: "198.18.0.1", authenticated: false)).get() }
        #expect(try registry.add(writer(), peer: .tcp(address: "198.18.0.2", authenticated: false)) == .failure(.unauthenticated(limit: 2)))
        registry.authenticated(a[0])
        registry.authenticated(a[0])  // counted once
        _ = try registry.add(writer(), peer: .tcp(address: "198.18.0.1", authenticated: false)).get()
        #expect(try registry.add(writer(), peer: .tcp(address: "198.18.0.1", authenticated: true)) == .failure(.address("198.18.0.1", limit: 3)))
        let b = try registry.add(writer(), peer: .tcp(address: "198.18.0.2", authenticated: true)).get()
        #expect(try registry.add(writer(), peer: .tcp(address: "198.18.0.3", authenticated: true)) == .failure(.tcp(limit: 4)))
        let unix = try (0..<2).map { _ in try registry.add(writer(), peer: .unix).get() }
        #expect(try registry.add(writer(), peer: .unix) == .failure(.connections(limit: 6)))
        registry.remove(unix[0])
        registry.remove(b)
        registry.remove(a[1])  // unauthenticated: its slot in that budget comes back too
        _ = try registry.add(writer(), peer: .tcp(address: "198.18.0.1", authenticated: false)).get()
        _ = try registry.add(writer(), peer: .unix).get()
        _ = try registry.add(writer(), peer: .tcp(address: "198.18.0.4", authenticated: true)).get()
        #expect(registry.count == 6)
        #expect(try registry.add(writer(), peer: .unix) == .failure(.connections(limit: 6)))
    }

    @Test func theDeadlineRunsFromAcceptAndTakesEachConnectionOnce() throws {
        let registry = ConnectionRegistry(limits: .init(connections: 10, tcp: 8, unauthenticated: 4, perAddress: 8))
        let late = try registry.add(writer(), peer: .tcp(address: "198.18.0.1", authenticated: false)).get()
        let proven = try registry.add(writer(), peer: .tcp(address: "198.18.0.1", authenticated: false)).get()
        _ = try registry.add(writer(), peer: .unix).get()
        registry.authenticated(proven)
        #expect(registry.touch(late))  // input does not move the deadline
        #expect(registry.expireUnauthenticated(after: .seconds(60)).isEmpty)
        #expect(registry.expireUnauthenticated(after: .zero).count == 1)
        #expect(registry.expireUnauthenticated(after: .zero).isEmpty)
        registry.authenticated(late)  // too late: it is being closed, and stays in the budget until removed
        registry.remove(late)
        #expect(registry.count == 2)
        let more = try (0..<4).map { _ in try registry.add(writer(), peer: .tcp(address: "198.18.0.2", authenticated: false)).get() }
        #expect(more.count == 4)
    }
}
