import BerthProtocol
import BerthSystem

/// Who is on the other end of a connection, and the role that gives them: what authorization checks
/// and what the audit log records.
public struct Principal: Sendable, Hashable {
    public var role: Role
    /// The name of the secret a TCP connection authenticated with.
    public var secretName: String?
    /// The Unix peer's credentials.
    public var peer: PeerCredentials?
    /// The TCP peer's address.
    public var address: String?

    public init(role: Role, secretName: String? = nil, peer: PeerCredentials? = nil, address: String? = nil) {
        self.role = role
        self.secretName = secretName
        self.peer = peer
        self.address = address
    }

    /// Calls made inside the node's own process (tests, the embedded tools): everything.
    public static let inProcess = Principal(role: .admin)

    /// The audit log's `who` fields, `role` first.
    var auditFields: [(String, String)] {
        var fields = [("role", role.rawValue)]
        if let secretName { fields.append(("secret", secretName)) }
        if let peer { fields.append(("uid", "\(peer.userID)")); fields.append(("pid", "\(peer.processID)")) }
        if let address { fields.append(("peer", address)) }
        return fields
    }
}
