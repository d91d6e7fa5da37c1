import BerthCore
import BerthSystemd

extension EventHub {
    /// The cache's changes, under its lock: a snapshot resyncs every installed container (silently the
    /// first time: the epoch starts from it; as events after a reconnect or a reload, whatever really
    /// changed), a unit's change reassesses its container.
    func cacheChanged(_ change: UnitStateCache.Change, _ view: UnitStateCache.View) {
        switch change {
        case .listed(let first):
            let silent = state.withLock { s in defer { s.synced = true }; return !s.synced }
            publish { $0.resync(loaded: view.loaded, view.state, silent: silent) }
            if first { logger.info("events_synced", ["units": view.loaded.count, "epoch": epoch, "reconnect": !silent]) }
        case .changed(let unit):
            publish { $0.changed(unit: unit, view.state).map { [$0] } ?? [] }
        }
    }

    /// Keeps `client`'s connection (the one the cache follows) open until cancelled: connects,
    /// reconnects whenever it ends (systemd re-executed, socket gone) with a backoff up to 5 s while
    /// it cannot, and sends heartbeats meanwhile. Between calls of the engine, nothing else would
    /// reconnect, and events would stop.
    public func run(following client: DBusSystemdClient) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.tick() }
            group.addTask {
                var backoff = Duration.milliseconds(250)
                while !Task.isCancelled {
                    let bus: SystemdManagerBus
                    do {
                        bus = try await client.bus()
                        backoff = .milliseconds(250)
                    } catch {
                        self.logger.warning("events_connect_failed", ["error": "\(error)", "retry": "\(backoff)"])
                        do { try await Task.sleep(for: backoff) } catch { break }
                        backoff = min(backoff * 2, .seconds(5))
                        continue
                    }
                    await self.cache.untilDisconnected()
                    if Task.isCancelled { break }
                    self.logger.warning("events_disconnected", ["reason": "\(bus.connection.closeReason.map { "\($0)" } ?? "closed")"])
                }
            }
        }
    }

    /// Returns once every unit signal systemd sent before this call has been applied, so a snapshot
    /// taken next is at least as new as anything the node answered before it (`UnitStateCache.catchUp`).
    public func catchUp(timeout: Duration = .seconds(2)) async {
        await cache.catchUp(timeout: timeout)
    }
}
