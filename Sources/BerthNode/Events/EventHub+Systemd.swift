import BerthCore
import BerthDBus
import BerthSystemd

extension EventHub {
    /// A subscribed D-Bus connection to systemd and its signals, in the order systemd sent them.
    public struct Feed: Sendable {
        let bus: SystemdManagerBus
        let signals: DBusSubscription
        /// The serial of the listing `connect()` applied: signals older than it are in it already.
        let listed: UInt32
    }

    /// Where the consumer stands in systemd's order of messages: inside a daemon-reload or not, and
    /// the serial of the newest listing applied (a unit signal with a smaller one is already in it;
    /// applied after it, its older state would invent a change and then another one undoing it).
    struct FeedOrder {
        var reloading = false
        var listed: UInt32
    }

    /// The feed being consumed, how many of its signals have been applied, and the `catchUp` calls
    /// waiting for a count.
    struct FeedProgress {
        let feed: Feed
        let generation: Int
        var applied = 0
        var waiting: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    /// Connects to the manager's private socket, listens, subscribes, then lists the container units
    /// and applies that listing: silently the first time (the epoch starts from it), as events after
    /// a reconnect (whatever changed while we were away).
    public func connect() async throws -> Feed {
        let bus = try await SystemdManagerBus.connectPrivate(runtimeDirectory: runtimeDirectory)
        do {
            // Listening starts before Subscribe and the listing, so nothing between them is lost; the
            // signals older than the listing are skipped by `consume` (the listing has their outcome).
            let signals = bus.connection.subscription(matching: DBusMatchRule(pathNamespace: SystemdPath.manager))
            try await bus.subscribe()
            let (rows, serial) = try await listUnits(bus)
            let silent = state.withLock { s in defer { s.synced = true }; return !s.synced }
            publish { $0.resync(rows, silent: silent) }
            logger.info("events_synced", ["units": rows.count, "epoch": epoch, "reconnect": !silent])
            return Feed(bus: bus, signals: signals, listed: serial)
        } catch {
            bus.connection.close()
            throw error
        }
    }

    /// Keeps the hub fed until cancelled: consumes `first` (if any), reconnects whenever the
    /// connection ends (systemd re-executed, socket gone), with a backoff up to 5 s, and sends
    /// heartbeats meanwhile.
    public func run(first: Feed?) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.tick() }
            group.addTask {
                var feed = first
                var backoff = Duration.milliseconds(250)
                while !Task.isCancelled {
                    if let current = feed {
                        await self.consume(current)
                        current.bus.connection.close()
                        feed = nil
                        if Task.isCancelled { break }
                        self.logger.warning("events_disconnected", ["reason": "\(current.bus.connection.closeReason.map { "\($0)" } ?? "closed")"])
                    }
                    do {
                        feed = try await self.connect()
                        backoff = .milliseconds(250)
                    } catch {
                        self.logger.warning("events_connect_failed", ["error": "\(error)", "retry": "\(backoff)"])
                        do { try await Task.sleep(for: backoff) } catch { break }
                        backoff = min(backoff * 2, .seconds(5))
                    }
                }
            }
        }
    }

    /// Applies signals until the connection ends, counting them for `catchUp`.
    func consume(_ feed: Feed) async {
        let generation = state.withLock { s -> Int in
            s.feedGeneration += 1
            s.feed = FeedProgress(feed: feed, generation: s.feedGeneration)
            return s.feedGeneration
        }
        var order = FeedOrder(listed: feed.listed)
        for await message in feed.signals.messages {
            await apply(message, feed: feed, order: &order)
            let due = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                guard s.feed?.generation == generation else { return [] }
                s.feed!.applied += 1
                let applied = s.feed!.applied
                let due = s.feed!.waiting.filter { $0.target <= applied }.map(\.continuation)
                if !due.isEmpty { s.feed!.waiting.removeAll { $0.target <= applied } }
                return due
            }
            for waiter in due { waiter.resume() }
        }
        // The connection ended: nothing more will be applied from it, so nobody waits for it.
        let stranded = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard s.feed?.generation == generation else { return [] }
            defer { s.feed = nil }
            return s.feed!.waiting.map(\.continuation)
        }
        for waiter in stranded { waiter.resume() }
    }

    /// Every container unit systemd has loaded, with the serial of the reply.
    private func listUnits(_ bus: SystemdManagerBus) async throws -> (rows: [(name: String, active: String, sub: String)], serial: UInt32) {
        let (units, serial) = try await bus.listUnitsInOrder(patterns: ["\(Identifier.unitPrefix)*"])
        return (units.map { (name: $0.name, active: $0.activeState, sub: $0.subState) }, serial)
    }

    /// Applies one signal in systemd's order. A daemon-reload unloads every unit and loads it again:
    /// `Reloading(true)`, a UnitRemoved and a UnitNew per loaded unit, `Reloading(false)`. Taken at
    /// face value, each UnitRemoved made a running container `stopped`, and nothing corrected it (a
    /// reloaded unit announces itself with UnitNew, which carries no state, and sends no change while
    /// its state stays). So inside that bracket UnitRemoved is set aside (a reload changes no run
    /// state), and `Reloading(false)` brings a new listing, which publishes only what really differs
    /// (units the reload did unload are gone) and covers every signal older than it.
    private func apply(_ message: DBusMessage, feed: Feed, order: inout FeedOrder) async {
        switch SystemdSignal(message) {
        case .reloading(let active):
            order.reloading = active
            guard !active, message.serial > order.listed else { return }
            do {
                let (rows, serial) = try await listUnits(feed.bus)
                publish { $0.resync(rows, silent: false) }
                order.listed = serial
            } catch {
                // Without this listing, units the reload unloaded would stay: end the connection, so
                // `run()` reconnects and its listing brings the same.
                logger.warning("events_relist_failed", ["error": "\(error)"])
                feed.bus.connection.close()
            }
        case .unitChanged(let change):
            guard message.serial > order.listed, change.interface == SystemdInterface.unit,
                  ContainerStates.classify(change.unit) != nil,
                  let active = change.activeState, let sub = change.subState else { return }
            publish { $0.apply(unit: change.unit, active: active, sub: sub).map { [$0] } ?? [] }
        case .unitRemoved(let unit):
            guard !order.reloading, message.serial > order.listed, ContainerStates.classify(unit) != nil else { return }
            publish { $0.remove(unit: unit).map { [$0] } ?? [] }
        case .unitNew, .jobRemoved, nil:
            return
        }
    }

    /// Returns once every unit signal systemd sent before this call has been applied, so a snapshot
    /// taken next is at least as new as anything the node answered before it: an install that
    /// started its unit replies after systemd sent that unit's signals, but on another connection,
    /// so the hub could still be behind (a subscribe right after `install --start` saw the container
    /// stopped). A ping to systemd on the hub's own connection: its reply comes after those signals,
    /// and by then they are counted as delivered; then the wait for the consumer to apply as many.
    /// Returns at once without a connection, and gives up after `timeout` if systemd does not answer.
    func catchUp(timeout: Duration = .seconds(2)) async {
        guard let (feed, generation) = state.withLock({ s in s.feed.map { ($0.feed, $0.generation) } }) else { return }
        do {
            _ = try await feed.bus.connection.call(path: SystemdPath.manager, interface: SystemdInterface.peer,
                                                   member: "Ping", timeout: timeout)
        } catch {
            return
        }
        let target = feed.signals.delivered
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                guard s.feed?.generation == generation, s.feed!.applied < target else { return true }
                s.feed!.waiting.append((target, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}
