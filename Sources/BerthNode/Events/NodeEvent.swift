import BerthCore

/// One entry of the node's event history: what happened to which container, when, and the state of
/// its service afterwards. `seq` numbers events within the node's epoch, from 1.
public struct NodeEvent: Hashable, Sendable {
    public var seq: Int64
    /// Milliseconds since 1970 UTC when the node saw it.
    public var time: Int64
    public var id: Identifier
    public var type: EventType
    /// systemd's ActiveState and SubState of the container's service after the event.
    public var activeState: String
    public var subState: String

    public init(seq: Int64, time: Int64, id: Identifier, type: EventType, activeState: String, subState: String) {
        self.seq = seq
        self.time = time
        self.id = id
        self.type = type
        self.activeState = activeState
        self.subState = subState
    }
}
