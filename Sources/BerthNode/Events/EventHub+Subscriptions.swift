import BerthCore
import BerthProtocol

extension EventHub {
    /// A subscription made: its reply, and what to send before the live changes (a snapshot, or the
    /// changes a resuming client missed).
    struct Opened: Sendable {
        let subscriber: EventSubscriber
        let result: EventsSubscribeResult
        let initial: [EventNotification]
    }

    /// Registers a subscriber and computes what it must be sent first, atomically with respect to
    /// `publish`: every event is either in `initial` or queued for it, never both, never neither.
    func open(_ params: EventsSubscribeParams, sink: NotificationSink) throws(RPCError) -> Opened {
        let heartbeat = params.heartbeatSeconds ?? 15
        guard heartbeat.isFinite, heartbeat >= 0.1, heartbeat <= 3600 else {
            throw RPCError.invalidParams("heartbeatSeconds must be between 0.1 and 3600, not \(heartbeat)")
        }
        var ids: Set<Identifier>?
        if let list = params.ids {
            var set = Set<Identifier>()
            for text in list {
                guard let id = Identifier(rawValue: text) else {
                    throw RPCError(.invalidIdentifier, "ids: \"\(text)\" is not a container identifier")
                }
                set.insert(id)
            }
            ids = set
        }
        if let cursor = params.cursor, cursor.epoch != epoch {
            throw Self.expired(cursor, "it is from another epoch of this node (the node restarted); this epoch is \(epoch)")
        }
        // Under the cache's lock, then the hub's: the snapshot's unit states and the changes queued
        // after it come from one order.
        let opened: Opened? = cache.read { view in state.withLock { s in
            s.nextSubscriber += 1
            let name = "\(epoch)-\(s.nextSubscriber)"
            let head = EventCursor(epoch: epoch, seq: s.history.lastSeq)
            var initial: [EventNotification] = []
            if let cursor = params.cursor {
                guard let missed = s.history.events(after: cursor.seq) else { return nil }
                initial = missed.filter { ids?.contains($0.id) ?? true }.map { notification(for: $0, subscription: name) }
            } else {
                let time = Self.nowMilliseconds()
                for id in s.containers.installed.keys.sorted() where ids?.contains(id) ?? true {
                    let service = s.containers.service(of: id, view.state)
                    initial.append(EventNotification(type: "snapshot", subscription: name, cursor: head, time: time,
                                                     id: id.rawValue, event: s.containers.current(id)?.event.rawValue,
                                                     state: service.activeState, subState: service.subState))
                }
                initial.append(EventNotification(type: "synced", subscription: name, cursor: head, time: time))
            }
            let subscriber = EventSubscriber(name: name, connectionID: sink.connectionID, ids: ids,
                                             heartbeat: .milliseconds(Int64(heartbeat * 1000)), bufferLimit: subscriberBuffer,
                                             closeConnection: { sink.closeConnection() })
            s.subscribers[name] = subscriber
            return Opened(subscriber: subscriber, result: EventsSubscribeResult(subscription: name, cursor: head),
                          initial: initial)
        } }
        guard let opened else {
            let oldest = state.withLock { $0.history.lastSeq - Int64($0.history.count) }
            throw Self.expired(params.cursor!, "this node's history reaches back to seq \(oldest) only (newest \(cursor.seq))")
        }
        wakeTicker()
        logger.info("subscribed", ["subscription": opened.subscriber.name, "connection": sink.connectionID,
                                   "resume": params.cursor?.text ?? "no", "initial": opened.initial.count])
        return opened
    }

    static func expired(_ cursor: EventCursor, _ why: String) -> RPCError {
        RPCError(.cursorExpired, "cursor \(cursor.text) cannot be resumed: \(why); list the containers again and subscribe without a cursor",
                 details: ["cursor": .string(cursor.text)])
    }

    func notification(for event: NodeEvent, subscription: String) -> EventNotification {
        EventNotification(type: "change", subscription: subscription, cursor: EventCursor(epoch: epoch, seq: event.seq),
                          time: event.time, id: event.id.rawValue, event: event.type.rawValue,
                          state: event.activeState, subState: event.subState)
    }

    /// Writes a subscription out: what `open` prepared, then its queue, until the queue ends
    /// (unsubscribed, slow consumer, connection gone). Runs in the request's task after the reply.
    func stream(_ opened: Opened, to sink: NotificationSink) async {
        let subscriber = opened.subscriber
        defer { finished(subscriber) }
        sink.onConnectionEnd { [weak self] in self?.drop(subscriber, .connectionEnded) }
        func send(_ notification: EventNotification) async -> Bool {
            guard subscriber.endReason == nil, let params = try? JSONValueEncoder().encode(notification) else { return false }
            return await sink.send(MethodName.eventsEvent.rawValue, params: .object(["event": params]))
        }
        var healthy = true
        for notification in opened.initial where healthy { healthy = await send(notification) }
        if healthy {
            for await item in subscriber.items {
                let notification: EventNotification = switch item {
                case .change(let event): self.notification(for: event, subscription: subscriber.name)
                case .heartbeat(let seq):
                    EventNotification(type: "heartbeat", subscription: subscriber.name, cursor: EventCursor(epoch: epoch, seq: seq),
                                      time: Self.nowMilliseconds())
                }
                guard await send(notification) else { break }
            }
        }
        if subscriber.endReason == nil { drop(subscriber, .connectionEnded) }
        guard let reason = subscriber.endReason, reason != .connectionEnded else { return }
        let closed = EventNotification(type: "closed", subscription: subscriber.name, cursor: cursor,
                                       time: Self.nowMilliseconds(), reason: reason.rawValue)
        if let params = try? JSONValueEncoder().encode(closed) {
            await sink.send(MethodName.eventsEvent.rawValue, params: .object(["event": params]))
        }
        // A slow consumer loses its connection too: what it missed is gone, it must resume or relist.
        if reason == .slowConsumer { sink.closeConnection() }
    }

    /// `events.unsubscribe`: only the connection that subscribed can end a subscription.
    func unsubscribe(_ name: String, connectionID: Int) throws(RPCError) {
        let subscriber = state.withLock { $0.subscribers[name] }
        guard let subscriber, subscriber.connectionID == connectionID, subscriber.endReason == nil else {
            throw RPCError(.notFound, "no subscription \(name) on this connection", details: ["subscription": .string(name)])
        }
        drop(subscriber, .unsubscribed)
    }
}
