import BerthProtocol

/// What the node knows of one loaded unit: the one unit state of the node. The state cache keeps
/// it per unit for listings and `container.status`, and the event hub judges a container's phase
/// from it.
///
/// Besides the unit's states, a service's account of its last run (systemd's `Result`, how its main
/// process ended, `NRestarts`) and when its state last changed: what `container.status` reports as
/// `result`, `exitStatus`/`exitSignal`, `restarts` and `since`. Those are systemd's own words and
/// numbers, kept as systemd gives them; the engine turns them into the wire's.
public struct UnitState: Hashable, Sendable {
    public var loadState: String
    public var activeState: String
    public var subState: String
    /// 0 when the unit has no main process (or is not a service).
    public var mainPID: UInt32
    /// The service's `Result` (`success`, `exit-code`, `signal`, `timeout`, `core-dump`,
    /// `oom-kill`, `start-limit-hit`, ...); empty while not known.
    public var result: String
    /// `ExecMainCode`: how the main process ended, as waitid() says (`CLD_EXITED` 1, `CLD_KILLED` 2,
    /// `CLD_DUMPED` 3); 0 while it runs or never ran (systemd clears it at each start).
    public var exitCode: Int32
    /// `ExecMainStatus`: the exit status (`exitCode` 1) or the signal's number (2, 3).
    public var exitStatus: Int32
    /// `NRestarts`: how many times systemd restarted the service (its `Restart=`) since it was loaded.
    public var restarts: UInt32
    /// `StateChangeTimestamp`: when the unit's active or sub state last changed, in microseconds
    /// since the epoch; 0 while not known.
    public var stateChanged: UInt64

    public init(loadState: String, activeState: String, subState: String, mainPID: UInt32 = 0, result: String = "",
                exitCode: Int32 = 0, exitStatus: Int32 = 0, restarts: UInt32 = 0, stateChanged: UInt64 = 0) {
        self.loadState = loadState
        self.activeState = activeState
        self.subState = subState
        self.mainPID = mainPID
        self.result = result
        self.exitCode = exitCode
        self.exitStatus = exitStatus
        self.restarts = restarts
        self.stateChanged = stateChanged
    }

    /// The service properties behind `result`, `exitCode`, `exitStatus` and `restarts`, and the unit
    /// property behind `stateChanged`: what a client without the cache asks for.
    public static let serviceFactProperties = ["Result", "ExecMainCode", "ExecMainStatus", "NRestarts"]
    public static let unitFactProperties = ["StateChangeTimestamp"]

    /// Sets the facts `properties` carries (systemd's names, values as `systemctl show` or
    /// `DBusSystemdClient.show` print them: decimal numbers, timestamps in microseconds or as
    /// `systemctl --timestamp=us+utc` does); the others stay as they are.
    public mutating func setFacts(from properties: [String: String]) {
        if let text = properties["Result"] { result = text }
        if let text = properties["ExecMainCode"], let value = Int32(text) { exitCode = value }
        if let text = properties["ExecMainStatus"], let value = Int32(text) { exitStatus = value }
        if let text = properties["NRestarts"], let value = UInt32(text) { restarts = value }
        if let text = properties["StateChangeTimestamp"], let value = UnitState.microseconds(text) { stateChanged = value }
    }

    /// A timestamp in microseconds since the epoch from `DBusSystemdClient.show`'s decimal, or from
    /// `systemctl --timestamp=us+utc`'s `Sun 2026-12-06 21:28:22.269165 UTC`; nil for anything else
    /// (systemctl prints nothing for a time that never was).
    static func microseconds(_ text: String) -> UInt64? {
        if let value = UInt64(text) { return value }
        let parts = text.split(separator: " ")
        guard parts.count == 4, parts[3] == "UTC", let time = LogTime(rfc3339: "\(parts[1])T\(parts[2])Z"),
              time.nanoseconds >= 0 else { return nil }
        return UInt64(time.nanoseconds / 1000)
    }
}
