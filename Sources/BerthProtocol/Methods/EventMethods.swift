/// A position in a node's event history. `epoch` changes whenever the node's history is reset (every
/// node start), `seq` increases by one per event within an epoch.
///
/// On the wire it is an object `{epoch, seq}`; a client may also send back the opaque text form
/// `"<epoch>.<seq>"` (`text`), which is what `berth events` prints for `--since`.
public struct EventCursor: Codable, Hashable, Sendable {
    public var epoch: String
    public var seq: Int64
    public init(epoch: String, seq: Int64) {
        self.epoch = epoch
        self.seq = seq
    }
    enum CodingKeys: String, CodingKey { case epoch, seq }

    /// The opaque text form, `"<epoch>.<seq>"`.
    public var text: String { "\(epoch).\(seq)" }

    /// Reads the text form; nil unless it is `<epoch>.<seq>` with a non-empty epoch without dots
    /// and a non-negative decimal seq.
    public init?(text: String) {
        guard let dot = text.lastIndex(of: "."), dot != text.startIndex else { return nil }
        let epoch = String(text[..<dot])
        let digits = text[text.index(after: dot)...]
        guard !epoch.contains("."), !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }),
              let seq = Int64(digits) else { return nil }
        self.init(epoch: epoch, seq: seq)
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            guard let cursor = EventCursor(text: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "a cursor is {epoch, seq} or \"<epoch>.<seq>\", not \"\(text)\""))
            }
            self = cursor
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try container.decode(String.self, forKey: .epoch)
        seq = try container.decode(Int64.self, forKey: .seq)
    }
}

/// Params of `events.subscribe`. Without a cursor the node sends a snapshot (one `snapshot` event per
/// container, then `synced`) and then changes. With a cursor it replays the changes after it, or
/// answers `cursor_expired` (other epoch, or history trimmed) so the client relists: never a gap.
public struct EventsSubscribeParams: Codable, Hashable, Sendable {
    public var cursor: EventCursor?
    /// Only these containers; all when absent.
    public var ids: [String]?
    /// Seconds between `heartbeat` notifications while nothing else is sent (default 15, 0.1 to 3600).
    public var heartbeatSeconds: Double?
    public init(cursor: EventCursor? = nil, ids: [String]? = nil, heartbeatSeconds: Double? = nil) {
        self.cursor = cursor
        self.ids = ids
        self.heartbeatSeconds = heartbeatSeconds
    }
}

/// Result of `events.subscribe`: the subscription's name and the cursor it starts after.
public struct EventsSubscribeResult: Codable, Hashable, Sendable {
    public var subscription: String
    public var cursor: EventCursor
    public init(subscription: String, cursor: EventCursor) {
        self.subscription = subscription
        self.cursor = cursor
    }
}

/// Params of `events.unsubscribe`.
public struct EventsUnsubscribeParams: Codable, Hashable, Sendable {
    public var subscription: String
    public init(subscription: String) { self.subscription = subscription }
}

/// Params of the `events.event` notification the node sends on a subscribed connection.
public struct EventNotification: Codable, Hashable, Sendable {
    /// "snapshot" (current state, before `synced`), "synced" (snapshot complete), "change",
    /// "heartbeat" (nothing happened; carries the cursor), "closed" (the node ends the subscription;
    /// `reason` says why).
    public var type: String
    public var subscription: String
    /// The cursor of this event; resume after it.
    public var cursor: EventCursor
    /// When the node saw the event (or sent the notification), milliseconds since 1970 UTC.
    public var time: Int64?
    /// The container concerned (absent for `synced`, `heartbeat`, `closed`).
    public var id: String?
    /// What happened: installed, started, idled, stopped, deleted, errored, updated.
    public var event: String?
    /// The container's status after the event (absent after `deleted`).
    public var status: ContainerStatus?
    /// systemd's ActiveState of the container's service after the event.
    public var state: String?
    /// systemd's SubState of the container's service after the event.
    public var subState: String?
    /// Why a `closed` subscription ended (`slow_consumer`, `unsubscribed`).
    public var reason: String?
    public init(type: String, subscription: String, cursor: EventCursor, time: Int64? = nil, id: String? = nil,
                event: String? = nil, status: ContainerStatus? = nil, state: String? = nil, subState: String? = nil,
                reason: String? = nil) {
        self.type = type
        self.subscription = subscription
        self.cursor = cursor
        self.time = time
        self.id = id
        self.event = event
        self.status = status
        self.state = state
        self.subState = subState
        self.reason = reason
    }

    public static let types = ["snapshot", "synced", "change", "heartbeat", "closed"]
    public static let events = ["installed", "started", "idled", "stopped", "deleted", "errored", "updated"]
}

/// Result of mutations that need nothing more than "done" (stop, delete, unsubscribe).
public struct DoneResult: Codable, Hashable, Sendable {
    public var done: Bool
    public init() { done = true }
}
