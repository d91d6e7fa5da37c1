import BerthProtocol

/// `--unix-role GROUP=ROLE`: Unix socket peers in GROUP (a name or number) get ROLE.
public struct UnixRoleMapping: Hashable, Sendable {
    public var group: String
    public var role: Role

    public init(group: String, role: Role) {
        self.group = group
        self.role = role
    }

    public init(parsing value: String) throws(ConfigurationError) {
        let parts = value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
            throw ConfigurationError("--unix-role must be GROUP=ROLE (a group name or number), got '\(value)'")
        }
        guard let role = Role(rawValue: String(parts[1])) else {
            throw ConfigurationError("--unix-role \(value): the role must be one of \(Role.spellings)")
        }
        self.init(group: String(parts[0]), role: role)
    }
}
