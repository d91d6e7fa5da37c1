import BerthSystem

/// Who may use the Unix socket: root, the node's own user, or a member of the configured group.
struct PeerPolicy: Sendable {
    let ownUID: UInt32
    let groupID: UInt32?

    func allows(_ peer: PeerCredentials) -> Bool {
        if peer.userID == 0 || peer.userID == ownUID { return true }
        guard let groupID else { return false }
        return peer.groupID == groupID || PeerPolicy.supplementaryGroups(of: peer.processID).contains(groupID)
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
    static func resolveGroup(_ name: String) throws(ConfigurationError) -> UInt32 {
        if let number = UInt32(name) { return number }
        if let bytes = try? FileSystem.read("/etc/group", limit: 16 << 20) {
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                if fields.count >= 3, fields[0] == name, let gid = UInt32(fields[2]) { return gid }
            }
        }
        throw ConfigurationError("--group \(name): no such group in /etc/group")
    }
}
