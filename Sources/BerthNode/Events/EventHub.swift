import BerthCore
import BerthProtocol
import BerthSystem

/// The node's container events: turns the changes of the node's mirror of systemd (`UnitStateCache`,
/// whose observer it is; see `EventHub+Systemd`) and the engine's installs and deletes into events, numbers them (`epoch`, `seq`), keeps the recent ones
/// for resuming subscribers, and fans them out to `events.subscribe` streams without ever waiting
/// for a subscriber.
public final class EventHub: Sendable {
    struct State {
        var containers = ContainerStates()
        var history: EventHistory
        var subscribers: [String: EventSubscriber] = [:]
        var nextSubscriber = 0
        /// Whether the cache's first snapshot has been applied.
        var synced = false
        /// `tick()` parked while nobody subscribes (an idle node does not wake ten times a second).
        var tickWaiter: CheckedContinuation<Void, Never>?
    }

    /// Random per node start: a cursor from another run of the node is expired, never misread.
    public let epoch: String
    /// The unit states events are judged from; the hub publishes under its lock, in its order.
    public let cache: UnitStateCache
    let logger: Logger
    let subscriberBuffer: Int
    /// How long a slow consumer's writer may stay stuck before its connection is closed.
    let slowConsumerGrace: Duration
    let state: Lock<State>

    /// - Parameters:
    ///   - cache: the node's mirror of systemd (the one the engine's D-Bus client feeds); the hub
    ///     observes it from now on.
    ///   - historyCapacity: events kept for resuming subscribers.
    ///   - subscriberBuffer: notifications that may wait for one subscriber before it is dropped.
    public init(cache: UnitStateCache, logger: Logger, historyCapacity: Int = 4096, subscriberBuffer: Int = 1024,
                slowConsumerGrace: Duration = .seconds(1)) {
        self.cache = cache
        self.logger = logger
        self.subscriberBuffer = subscriberBuffer
        self.slowConsumerGrace = slowConsumerGrace
        var random = SystemRandomNumberGenerator()
        epoch = String(random.next() as UInt64, radix: 16)
        state = Lock(State(history: EventHistory(capacity: historyCapacity)))
        cache.observe { [weak self] change, view in self?.cacheChanged(change, view) }
    }

    /// The cursor of the newest event.
    public var cursor: EventCursor { EventCursor(epoch: epoch, seq: state.withLock { $0.history.lastSeq }) }

    /// Containers installed before the node started (their current state is the epoch's start).
    public func seed(installed ids: [Identifier]) {
        cache.read { view in state.withLock { $0.containers.seed(ids, view.state) } }
    }

    /// The engine's observer: `installed` and `deleted` come from it, everything else from systemd.
    public func containerChanged(_ event: ContainerEvent) {
        // Under the cache's lock (then the hub's, the one order of the two): no unit change is
        // published between reading the units and recording the install.
        cache.read { view in
            publish { containers in
                switch event.type {
                case .installed: containers.install(event.id, view.state)
                case .deleted: containers.delete(event.id, view.state).map { [$0] } ?? []
                default: []
                }
            }
        }
    }

    /// Applies `body` to the container states under the lock and publishes the changes it returns,
    /// in order, with consecutive seqs. Callers hold the cache's lock (an observer call or `read`),
    /// so changes are published in the order the cache applied them.
    func publish(_ body: (inout ContainerStates) -> [ContainerStates.Change]) {
        let time = Self.nowMilliseconds()
        let dropped: [EventSubscriber] = state.withLock { s in
            let changes = body(&s.containers)
            var dropped: [EventSubscriber] = []
            for change in changes {
                let event = NodeEvent(seq: s.history.lastSeq + 1, time: time, id: change.id, type: change.type,
                                      activeState: change.service.activeState, subState: change.service.subState)
                s.history.append(event)
                for subscriber in s.subscribers.values where subscriber.wants(event.id) {
                    if !subscriber.offer(.change(event)) { dropped.append(subscriber) }
                }
            }
            return dropped
        }
        for subscriber in dropped { drop(subscriber, .slowConsumer) }
    }

    /// Ends a subscription; it stays in `subscribers` (skipped by `publish`) until its writer has
    /// finished, so `tick` can still close a stuck writer's connection.
    func drop(_ subscriber: EventSubscriber, _ reason: EventSubscriber.EndReason) {
        guard subscriber.end(reason) else { return }
        let level: LogLevel = reason == .slowConsumer ? .warning : .info
        logger.log(level, "subscriber_ended", ["subscription": subscriber.name, "connection": subscriber.connectionID,
                                              "reason": reason.rawValue])
    }

    /// The subscriber's writer is done.
    func finished(_ subscriber: EventSubscriber) {
        subscriber.markFinished()
        state.withLock { _ = $0.subscribers.removeValue(forKey: subscriber.name) }
    }

    /// Heartbeats for quiet subscribers, and closing the connections of slow consumers whose writer
    /// stayed stuck past the grace period (a client that never reads). Runs until cancelled.
    func tick() async {
        while !Task.isCancelled {
            await untilSubscribed()
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
            let now = ContinuousClock.now
            let (all, seq) = state.withLock { s in (Array(s.subscribers.values), s.history.lastSeq) }
            for subscriber in all {
                if subscriber.heartbeatDue(at: now), !subscriber.offer(.heartbeat(seq: seq)) { drop(subscriber, .slowConsumer) }
                if subscriber.stuck(at: now, grace: slowConsumerGrace) { subscriber.closeConnection() }
            }
        }
    }

    /// Returns when there is a subscriber (at once if there is one), or the task is cancelled.
    private func untilSubscribed() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if !s.subscribers.isEmpty || Task.isCancelled { return true }
                    s.tickWaiter = waiter
                    return false
                }
                if now { waiter.resume() }
            }
        } onCancel: {
            wakeTicker()
        }
    }

    /// Resumes `tick()` when it waits for a subscriber.
    func wakeTicker() {
        state.withLock { s in
            defer { s.tickWaiter = nil }
            return s.tickWaiter
        }?.resume()
    }

    static func nowMilliseconds() -> Int64 { WallTime.now.milliseconds }
}
