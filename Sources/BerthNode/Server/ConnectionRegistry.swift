import BerthSystem
import Synchronization

/// The node's open connections: enforces the connection limit, finds idle ones, counts requests in
/// flight, and drains everything at shutdown.
final class ConnectionRegistry: Sendable {
    struct Entry {
        let connection: Connection
        var lastActive: ContinuousClock.Instant
        var inFlight = 0
        /// Streams running after their reply (subscriptions): they keep an idle connection open,
        /// but not a draining one.
        var streams = 0
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var nextID = 0
        var draining = false
    }

    private let state = Lock(State())
    private let handlers = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Adds a connection; nil when the node is at its limit or shutting down.
    func add(_ connection: Connection) -> Int? {
        state.withLock { s in
            guard !s.draining, s.entries.count < limit else { return nil }
            s.nextID += 1
            s.entries[s.nextID] = Entry(connection: connection, lastActive: .now)
            return s.nextID
        }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Notes input on a connection; false once the node is draining (stop taking new requests).
    func touch(_ id: Int) -> Bool {
        state.withLock { s in
            s.entries[id]?.lastActive = .now
            return !s.draining
        }
    }

    func requestStarted(_ id: Int) {
        state.withLock { $0.entries[id]?.inFlight += 1 }
        handlers.add(1, ordering: .sequentiallyConsistent)
    }

    /// A request's handler returned (its reply may still be on its way out).
    func handlerFinished() {
        handlers.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Handlers running now, on every connection: from `requestStarted` to `handlerFinished`, so a
    /// client that has read a reply never sees its handler still counted.
    var handlersRunning: Int { handlers.load(ordering: .sequentiallyConsistent) }

    /// While draining, a connection whose last request finished is closed at once.
    func requestFinished(_ id: Int) {
        let close: Connection? = state.withLock { s in
            guard var e = s.entries[id] else { return nil }
            e.inFlight -= 1
            s.entries[id] = e
            return s.draining && e.inFlight == 0 ? e.connection : nil
        }
        close?.close()
    }

    func streamStarted(_ id: Int) {
        state.withLock { $0.entries[id]?.streams += 1 }
    }

    func streamFinished(_ id: Int) {
        state.withLock { $0.entries[id]?.streams -= 1 }
    }

    var count: Int { state.withLock { $0.entries.count } }
    var inFlight: Int { state.withLock { $0.entries.values.reduce(0) { $0 + $1.inFlight } } }

    /// Closes connections with nothing in flight and no input for `timeout`; returns how many.
    func closeIdle(olderThan timeout: Duration) -> Int {
        let now = ContinuousClock.now
        let idle: [Connection] = state.withLock { s in
            s.entries.values.filter { $0.inFlight == 0 && $0.streams == 0 && now - $0.lastActive >= timeout }.map(\.connection)
        }
        for c in idle { c.close() }
        return idle.count
    }

    /// Shutdown, first step: refuse new connections and requests; close the connections that are idle.
    func beginDraining() {
        let idle: [Connection] = state.withLock { s in
            s.draining = true
            return s.entries.values.filter { $0.inFlight == 0 }.map(\.connection)
        }
        for c in idle { c.close() }
    }

    /// Shutdown, last step: close everything still open.
    func closeAll() {
        let all = state.withLock { $0.entries.values.map(\.connection) }
        for c in all { c.close() }
    }
}
