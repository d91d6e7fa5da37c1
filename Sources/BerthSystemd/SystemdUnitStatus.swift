import BerthDBus

/// One row of `ListUnitsByPatterns` (`a(ssssssouso)`).
public struct SystemdUnitStatus: Hashable, Sendable, Codable {
    public var name: String
    public var description: String
    public var loadState: String
    public var activeState: String
    public var subState: String
    public var following: String
    public var unitPath: String
    public var jobID: UInt32
    public var jobType: String
    public var jobPath: String

    init?(_ value: DBusValue) {
        guard let f = value.structValue, f.count == 10,
              case .string(let name) = f[0], case .string(let description) = f[1], case .string(let load) = f[2],
              case .string(let active) = f[3], case .string(let sub) = f[4], case .string(let following) = f[5],
              case .objectPath(let path) = f[6], case .uint32(let jobID) = f[7], case .string(let jobType) = f[8],
              case .objectPath(let jobPath) = f[9] else { return nil }
        self.name = name
        self.description = description
        self.loadState = load
        self.activeState = active
        self.subState = sub
        self.following = following
        self.unitPath = path
        self.jobID = jobID
        self.jobType = jobType
        self.jobPath = jobPath
    }

    enum CodingKeys: String, CodingKey {
        case name
        case description
        case loadState
        case activeState
        case subState
        case following
        case unitPath
        case jobID = "jobId"
        case jobType
        case jobPath
    }
}
