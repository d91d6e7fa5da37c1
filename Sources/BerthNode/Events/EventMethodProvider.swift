import BerthProtocol

/// Serves `events.subscribe` and `events.unsubscribe` from an `EventHub`.
public struct EventMethodProvider: MethodProvider {
    public let hub: EventHub
    public init(hub: EventHub) { self.hub = hub }

    public func register(into table: inout MethodTable) {
        let hub = hub
        table.register(MethodName.eventsSubscribe.rawValue) { (p: EventsSubscribeParams, context) in
            guard let channel = context.notifications else {
                throw RPCError(.invalidRequest, "events.subscribe streams on its connection: send it alone, not in a batch")
            }
            await hub.catchUp()  // the snapshot is then no older than any answer the node gave before
            let opened = try hub.open(p, sink: channel.sink)
            channel.afterReply { sink in await hub.stream(opened, to: sink) }
            return opened.result
        }
        table.register(MethodName.eventsUnsubscribe.rawValue) { (p: EventsUnsubscribeParams, context) -> DoneResult in
            guard let channel = context.notifications else {
                throw RPCError(.notFound, "no subscription \(p.subscription) on this connection")
            }
            try hub.unsubscribe(p.subscription, connectionID: channel.sink.connectionID)
            return DoneResult()
        }
    }
}
