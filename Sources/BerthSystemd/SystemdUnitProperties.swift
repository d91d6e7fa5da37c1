import BerthDBus

/// The state of a unit as `GetAll` reports it on `org.freedesktop.systemd1.Unit` (and, for a service,
/// `org.freedesktop.systemd1.Service`).
public struct SystemdUnitProperties: Hashable, Sendable, Codable {
    public var id: String
    public var loadState: String
    public var activeState: String
    public var subState: String
    /// The service's result (`success`, `exit-code`, ...); nil for units that are not services.
    public var result: String?
    /// The service's main process, 0 when none; nil for units that are not services.
    public var mainPID: UInt32?

    public init(id: String, loadState: String, activeState: String, subState: String, result: String?, mainPID: UInt32?) {
        self.id = id
        self.loadState = loadState
        self.activeState = activeState
        self.subState = subState
        self.result = result
        self.mainPID = mainPID
    }

    enum CodingKeys: String, CodingKey {
        case id
        case loadState
        case activeState
        case subState
        case result
        case mainPID = "mainPid"
    }
}
