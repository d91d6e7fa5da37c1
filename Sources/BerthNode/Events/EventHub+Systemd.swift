import BerthCore
import BerthDBus

extension EventHub {
    /// A subscribed D-Bus connection to systemd and its signals, in the order systemd sent them.
    public struct Feed: Sendable {
        let bus: SystemdManagerBus
        let signals: AsyncStream<DBusMessage>
    }

    static let unitInterface = "org.freedesktop.systemd1.Unit"

    /// Connects to the manager's private socket, listens, subscribes, then lists the container units
    /// and applies that listing: silently the first time (the epoch starts from it), as events after
    /// a reconnect (whatever changed while we were away).
    public func connect() async throws -> Feed {
        let bus = try await SystemdManagerBus.connectPrivate(runtimeDirectory: runtimeDirectory)
        do {
            // Listening starts before Subscribe and the listing, so nothing between them is lost; a
            // signal older than the listing that is applied after it is harmless (states are absolute).
            let signals = bus.connection.messages(matching: DBusMatchRule(pathNamespace: SystemdPath.manager))
            try await bus.subscribe()
            let listed = try await bus.listUnitsByPatterns(patterns: ["\(Identifier.unitPrefix)*"])
            let rows = listed.map { (name: $0.name, active: $0.activeState, sub: $0.subState) }
            let silent = state.withLock { s in defer { s.synced = true }; return !s.synced }
            publish { $0.resync(rows, silent: silent) }
            logger.info("events_synced", ["units": rows.count, "epoch": epoch, "reconnect": !silent])
            return Feed(bus: bus, signals: signals)
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

    /// Applies signals until the connection ends.
    func consume(_ feed: Feed) async {
        for await message in feed.signals {
            switch message.member {
            case "PropertiesChanged":
                guard message.body.count == 3, case .string(Self.unitInterface) = message.body[0],
                      let path = message.path, let unit = SystemdPath.unitName(fromPath: path),
                      ContainerStates.classify(unit) != nil,
                      let changed = message.body[1].stringDictValue,
                      let active = changed["ActiveState"]?.unwrapped.stringValue,
                      let sub = changed["SubState"]?.unwrapped.stringValue else { continue }
                publish { $0.apply(unit: unit, active: active, sub: sub).map { [$0] } ?? [] }
            case "UnitRemoved":
                guard case .string(let unit)? = message.body.first, ContainerStates.classify(unit) != nil else { continue }
                publish { $0.remove(unit: unit).map { [$0] } ?? [] }
            default:
                continue
            }
        }
    }
}
