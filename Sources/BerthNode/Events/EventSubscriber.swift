import BerthCore
import BerthSystem

/// One `events.subscribe` stream: a bounded queue between the hub (which never waits for it) and the
/// connection task that writes it out.
final class EventSubscriber: Sendable {
    enum Item: Sendable {
        case change(NodeEvent)
        /// Nothing was queued for a while; the cursor is the hub's newest seq at that moment.
        case heartbeat(seq: Int64)
    }

    /// Why a subscription ended.
    enum EndReason: String, Sendable {
        /// More than `bufferLimit` items waited: the client does not read fast enough (or at all).
        case slowConsumer = "slow_consumer"
        case unsubscribed
        /// The client closed (or half-closed) its connection.
        case connectionEnded = "connection_ended"
    }

    private struct State {
        var lastQueued: ContinuousClock.Instant
        var ended: EndReason?
        var endedAt: ContinuousClock.Instant?
        var finished = false
    }

    let name: String
    let connectionID: Int
    /// Only these containers; every one when nil.
    let ids: Set<Identifier>?
    let heartbeat: Duration
    let bufferLimit: Int
    let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let state: Lock<State>
    /// Closes the subscriber's connection (a writer stuck on a client that never reads).
    let closeConnection: @Sendable () -> Void

    init(name: String, connectionID: Int, ids: Set<Identifier>?, heartbeat: Duration, bufferLimit: Int,
         closeConnection: @escaping @Sendable () -> Void) {
        self.name = name
        self.connectionID = connectionID
        self.ids = ids
        self.heartbeat = heartbeat
        self.bufferLimit = bufferLimit
        self.closeConnection = closeConnection
        (items, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(bufferLimit))
        state = Lock(State(lastQueued: .now))
    }

    func wants(_ id: Identifier) -> Bool { ids?.contains(id) ?? true }

    /// Queues an item without waiting; false when the queue is full (the caller ends the subscription).
    func offer(_ item: Item) -> Bool {
        guard state.withLock({ $0.ended == nil }) else { return true }
        if case .dropped = continuation.yield(item) { return false }
        state.withLock { $0.lastQueued = .now }
        return true
    }

    /// True when nothing was queued for `heartbeat`.
    func heartbeatDue(at now: ContinuousClock.Instant) -> Bool {
        state.withLock { $0.ended == nil && now - $0.lastQueued >= heartbeat }
    }

    /// Ends the queue (the writer stops after what it is writing); the first reason sticks. Returns
    /// true for the call that ended it.
    @discardableResult
    func end(_ reason: EndReason) -> Bool {
        let first = state.withLock { s -> Bool in
            guard s.ended == nil else { return false }
            s.ended = reason
            s.endedAt = .now
            return true
        }
        if first { continuation.finish() }
        return first
    }

    var endReason: EndReason? { state.withLock { $0.ended } }

    /// The writer is done with this subscriber.
    func markFinished() { state.withLock { $0.finished = true } }

    /// Ended as a slow consumer more than `grace` ago and its writer is still stuck.
    func stuck(at now: ContinuousClock.Instant, grace: Duration) -> Bool {
        state.withLock { s in
            s.ended == .slowConsumer && !s.finished && s.endedAt.map { now - $0 >= grace } == true
        }
    }
}
