/// A position in a node's event history. `epoch` changes whenever the node's history is reset (state
/// wiped, history lost), `seq` increases by one per event within an epoch.
public struct EventCursor: Codable, Hashable, Sendable {
    public var epoch: String
    public var seq: Int64
    public init(epoch: String, seq: Int64) {
        self.epoch = epoch
        self.seq = seq
    }
    enum CodingKeys: String, CodingKey { case epoch, seq }
}

/// Params of `events.subscribe`. Without a cursor the node sends a snapshot (one `snapshot` event per
/// container, then `synced`) and then changes. With a cursor it replays the changes after it, or
/// answers `cursor_expired` (other epoch, or history trimmed) so the client relists: never a gap.
public struct EventsSubscribeParams: Codable, Hashable, Sendable {
    public var cursor: EventCursor?
    /// Only these containers; all when absent.
    public var ids: [String]?
    public init(cursor: EventCursor? = nil, ids: [String]? = nil) {
        self.cursor = cursor
        self.ids = ids
    }
    enum CodingKeys: String, CodingKey { case cursor, ids }
}

/// Result of `events.subscribe`: the subscription's name and the cursor it starts after.
public struct EventsSubscribeResult: Codable, Hashable, Sendable {
    public var subscription: String
    public var cursor: EventCursor
    public init(subscription: String, cursor: EventCursor) {
        self.subscription = subscription
        self.cursor = cursor
    }
    enum CodingKeys: String, CodingKey { case subscription, cursor }
}

/// Params of `events.unsubscribe`.
public struct EventsUnsubscribeParams: Codable, Hashable, Sendable {
    public var subscription: String
    public init(subscription: String) { self.subscription = subscription }
    enum CodingKeys: String, CodingKey { case subscription }
}

/// Params of the `events.event` notification the node sends on a subscribed connection.
public struct EventNotification: Codable, Hashable, Sendable {
    /// "snapshot" (current state, before `synced`), "synced" (snapshot complete), "change".
    public var type: String
    public var subscription: String
    /// The cursor of this event; resume after it.
    public var cursor: EventCursor
    /// The container concerned (absent for `synced`).
    public var id: String?
    /// What happened: installed, started, idled, stopped, deleted, errored, updated.
    public var event: String?
    /// The container's status after the event (absent after `deleted`).
    public var status: ContainerStatus?
    public init(type: String, subscription: String, cursor: EventCursor, id: String? = nil, event: String? = nil, status: ContainerStatus? = nil) {
        self.type = type
        self.subscription = subscription
        self.cursor = cursor
        self.id = id
        self.event = event
        self.status = status
    }
    enum CodingKeys: String, CodingKey { case type, subscription, cursor, id, event, status }

    public static let types = ["snapshot", "synced", "change"]
    public static let events = ["installed", "started", "idled", "stopped", "deleted", "errored", "updated"]
}

/// Result of mutations that need nothing more than "done" (stop, delete, unsubscribe).
public struct DoneResult: Codable, Hashable, Sendable {
    public var done: Bool
    public init() { done = true }
    enum CodingKeys: String, CodingKey { case done }
}
