/// What the node knows of one loaded unit: the one unit state of the node. The state cache keeps
/// it per unit for listings, `show` answers its main PID, and the event hub judges a container's
/// phase from it.
public struct UnitState: Hashable, Sendable {
    public var loadState: String
    public var activeState: String
    public var subState: String
    /// 0 when the unit has no main process (or is not a service).
    public var mainPID: UInt32

    public init(loadState: String, activeState: String, subState: String, mainPID: UInt32 = 0) {
        self.loadState = loadState
        self.activeState = activeState
        self.subState = subState
        self.mainPID = mainPID
    }
}
