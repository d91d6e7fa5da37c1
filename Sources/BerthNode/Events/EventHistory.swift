/// The most recent events of this epoch, for subscribers that resume with a cursor. A ring: once full,
/// each new event pushes out the oldest, and a cursor from before the oldest can no longer be served.
struct EventHistory: Sendable {
    let capacity: Int
    private var ring: [NodeEvent] = []
    private var start = 0
    /// The seq of the newest event; 0 before the first.
    private(set) var lastSeq: Int64 = 0

    init(capacity: Int) {
        precondition(capacity > 0, "history capacity must be positive")
        self.capacity = capacity
        ring.reserveCapacity(capacity)
    }

    var count: Int { ring.count }

    mutating func append(_ event: NodeEvent) {
        precondition(event.seq == lastSeq + 1, "events are appended in seq order")
        lastSeq = event.seq
        if ring.count < capacity {
            ring.append(event)
        } else {
            ring[start] = event
            start = (start + 1) % capacity
        }
    }

    /// Every event after `seq`, oldest first; nil when the ring no longer reaches back to `seq + 1`,
    /// or `seq` is beyond the newest event (not a cursor this epoch gave out).
    func events(after seq: Int64) -> [NodeEvent]? {
        guard seq >= 0, seq <= lastSeq else { return nil }
        let missing = Int(lastSeq - seq)
        guard missing <= ring.count else { return nil }
        var out: [NodeEvent] = []
        out.reserveCapacity(missing)
        for k in (ring.count - missing)..<ring.count { out.append(ring[(start + k) % ring.count]) }
        return out
    }
}
