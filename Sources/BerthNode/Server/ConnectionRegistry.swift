import BerthSystem
import Synchronization

/// The node's open connections: enforces the connection budgets, finds idle ones and TCP peers past
/// their deadline to authenticate, counts requests in flight, and drains everything at shutdown.
///
/// Budgets (checked together at accept, docs/architecture-server.md "Limits"): every connection
/// counts against `limits.connections`; TCP ones also against `limits.tcp` (smaller, so the Unix
/// socket keeps slots no TCP peer can take) and their address's `limits.perAddress`; a TCP one that
/// has not authenticated yet also against `limits.unauthenticated`, until `authenticated(_:)`.
final class ConnectionRegistry: Sendable {
    struct Limits: Sendable {
        var connections: Int
        var tcp: Int
        var unauthenticated: Int
        var perAddress: Int
    }

    /// Who a connection is, as far as the budgets care.
    enum Peer: Sendable {
        case unix
        /// `address` is the peer's host address (no port).
        case tcp(address: String, authenticated: Bool)
    }

    /// Why a connection was not taken: each names the budget that is full.
    enum Refusal: Error, Equatable {
        case draining
        case connections(limit: Int)
        case tcp(limit: Int)
        case unauthenticated(limit: Int)
        case address(String, limit: Int)

        var message: String {
            switch self {
            case .draining: "the node is shutting down; retry later"
            case .connections(let limit): "the node is at its limit of \(limit) connections; retry later"
            case .tcp(let limit): "the node is at its limit of \(limit) TCP connections (the rest are kept for its Unix socket); retry later"
            case .unauthenticated(let limit): "the node already has \(limit) TCP connections that have not authenticated, its limit; retry later"
            case .address(let address, let limit): "\(address) already has \(limit) TCP connections to the node, its limit per address; close one or retry later"
            }
        }

        /// A word for the log.
        var budget: String {
            switch self {
            case .draining: "draining"
            case .connections: "connections"
            case .tcp: "tcp"
            case .unauthenticated: "unauthenticated"
            case .address: "per_address"
            }
        }
    }

    struct Entry {
        let writer: ResponseWriter
        var peer: Peer
        let accepted: ContinuousClock.Instant
        var lastActive: ContinuousClock.Instant
        var inFlight = 0
        /// Streams running after their reply (subscriptions): they keep an idle connection open,
        /// but not a draining one.
        var streams = 0
        /// Past its deadline to authenticate and being closed: counted out once.
        var expired = false

        var connection: Connection { writer.connection }
        var isUnauthenticated: Bool {
            if case .tcp(_, authenticated: false) = peer { return true }
            return false
        }
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var nextID = 0
        var draining = false
        var tcp = 0
        var unauthenticated = 0
        var perAddress: [String: Int] = [:]
    }

    private let state = Lock(State())
    private let handlers = Atomic<Int>(0)
    let limits: Limits

    init(limits: Limits) { self.limits = limits }

    /// Adds a connection, or says which budget is full (or that the node is shutting down).
    func add(_ writer: ResponseWriter, peer: Peer) -> Result<Int, Refusal> {
        state.withLock { s in
            guard !s.draining else { return .failure(.draining) }
            guard s.entries.count < limits.connections else { return .failure(.connections(limit: limits.connections)) }
            if case .tcp(let address, let authenticated) = peer {
                guard s.tcp < limits.tcp else { return .failure(.tcp(limit: limits.tcp)) }
                if !authenticated {
                    guard s.unauthenticated < limits.unauthenticated else {
                        return .failure(.unauthenticated(limit: limits.unauthenticated))
                    }
                }
                guard s.perAddress[address, default: 0] < limits.perAddress else {
                    return .failure(.address(address, limit: limits.perAddress))
                }
                s.tcp += 1
                s.perAddress[address, default: 0] += 1
                if !authenticated { s.unauthenticated += 1 }
            }
            s.nextID += 1
            let now = ContinuousClock.now
            s.entries[s.nextID] = Entry(writer: writer, peer: peer, accepted: now, lastActive: now)
            return .success(s.nextID)
        }
    }

    /// The connection authenticated: it leaves the unauthenticated budget (it keeps its TCP and
    /// address slots). Nothing happens once its deadline has passed: it is being closed.
    func authenticated(_ id: Int) {
        state.withLock { s in
            guard let e = s.entries[id], !e.expired, case .tcp(let address, authenticated: false) = e.peer else { return }
            s.entries[id]?.peer = .tcp(address: address, authenticated: true)
            s.unauthenticated -= 1
        }
    }

    func remove(_ id: Int) {
        state.withLock { s in
            guard let e = s.entries.removeValue(forKey: id) else { return }
            guard case .tcp(let address, _) = e.peer else { return }
            s.tcp -= 1
            if e.isUnauthenticated { s.unauthenticated -= 1 }
            let left = s.perAddress[address, default: 1] - 1
            s.perAddress[address] = left > 0 ? left : nil
        }
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

    /// TCP connections still unauthenticated `deadline` after their accept, whatever input they
    /// sent meanwhile: marked so each is returned once, and returned for the caller to close. They
    /// keep their slots until their session ends.
    func expireUnauthenticated(after deadline: Duration) -> [ResponseWriter] {
        let now = ContinuousClock.now
        return state.withLock { s in
            let late = s.entries.filter { $0.value.isUnauthenticated && !$0.value.expired && now - $0.value.accepted >= deadline }
            for id in late.keys { s.entries[id]?.expired = true }
            return late.values.map(\.writer)
        }
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
