import BerthProtocol
import BerthSystem

/// Who may use the Unix socket, and with which role: root and the node's own user are `admin`, as
/// are members of the configured group (`--group`, the one group from before roles); members of
/// groups mapped with `--unix-role GROUP=ROLE` get that role (the highest of their groups').
struct PeerPolicy: Sendable {
    let ownUID: UInt32
    let groupID: UInt32?
    /// `--unix-role` mappings, group number to role.
    var groupRoles: [UInt32: Role] = [:]

    func allows(_ peer: PeerCredentials) -> Bool { role(of: peer) != nil }

    /// The peer's role, or nil when it may not use the socket at all.
    func role(of peer: PeerCredentials) -> Role? {
        if peer.userID == 0 || peer.userID == ownUID { return .admin }
        guard groupID != nil || !groupRoles.isEmpty else { return nil }
        let groups = [peer.groupID] + PeerPolicy.supplementaryGroups(of: peer.processID)
        if let groupID, groups.contains(groupID) { return .admin }
        return groups.compactMap { groupRoles[$0] }.max()
    }

    /// Words for a refusal: who may use the socket.
    var allowedDescription: String {
        var who = "root, uid \(ownUID)"
        if let groupID { who += ", members of group \(groupID)" }
        if !groupRoles.isEmpty { who += ", members of groups " + groupRoles.keys.sorted().map(String.init).joined(separator: ", ") }
        return who
    }

    /// The `Groups:` line of /proc/PID/status (empty when the process is gone).
    static func supplementaryGroups(of pid: Int32) -> [UInt32] {
        guard let bytes = try? FileSystem.read("/proc/\(pid)/status", limit: 64 << 10) else { return [] }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Groups:") {
            return line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
        }
        return []
    }

    /// A group name (from /etc/group) or number.
    static func resolveGroup(_ name: String, flag: String = "--group") throws(ConfigurationError) -> UInt32 {
        if let number = UInt32(name) { return number }
        if let bytes = try? FileSystem.read("/etc/group", limit: 16 << 20) {
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                if fields.count >= 3, fields[0] == name, let gid = UInt32(fields[2]) { return gid }
            }
        }
        throw ConfigurationError("\(flag) \(name): no such group in /etc/group")
    }

    /// The `--unix-role` mappings with their groups resolved.
    static func resolveRoles(_ mappings: [UnixRoleMapping]) throws(ConfigurationError) -> [UInt32: Role] {
        var roles: [UInt32: Role] = [:]
        for mapping in mappings {
            let gid = try resolveGroup(mapping.group, flag: "--unix-role")
            roles[gid] = max(roles[gid] ?? mapping.role, mapping.role)
        }
        return roles
    }
}
