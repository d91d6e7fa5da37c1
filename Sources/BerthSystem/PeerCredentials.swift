#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a connected Unix socket, as the kernel recorded it at connect time.
public struct PeerCredentials: Hashable, Sendable, Codable {
    public var processID: pid_t
    public var userID: uid_t
    public var groupID: gid_t

    public init(processID: pid_t, userID: uid_t, groupID: gid_t) {
        self.processID = processID
        self.userID = userID
        self.groupID = groupID
    }

    enum CodingKeys: String, CodingKey {
        case processID = "pid"
        case userID = "uid"
        case groupID = "gid"
    }
}
