import BerthDBus

/// A job that finished: the `JobRemoved(u id, o job, s unit, s result)` signal.
public struct SystemdJobRemoved: Hashable, Sendable, Codable {
    public var id: UInt32
    public var jobPath: String
    public var unit: String
    /// `done`, `canceled`, `timeout`, `failed`, `dependency` or `skipped`.
    public var result: String

    public init(id: UInt32, jobPath: String, unit: String, result: String) {
        self.id = id
        self.jobPath = jobPath
        self.unit = unit
        self.result = result
    }

    /// Reads the signal's body; nil when it is not a JobRemoved body.
    public init?(_ message: DBusMessage) {
        guard message.member == "JobRemoved", message.body.count == 4,
              case .uint32(let id) = message.body[0], case .objectPath(let job) = message.body[1],
              case .string(let unit) = message.body[2], case .string(let result) = message.body[3] else { return nil }
        self.init(id: id, jobPath: job, unit: unit, result: result)
    }

    enum CodingKeys: String, CodingKey {
        case id
        case jobPath
        case unit
        case result
    }
}
