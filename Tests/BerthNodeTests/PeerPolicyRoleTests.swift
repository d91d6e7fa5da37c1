import Testing
@testable import BerthNode
import BerthProtocol
import BerthSystem

/// A pid no process has: its supplementary groups read as none.
private let gonePID: Int32 = Int32.max

@Test func unixPeersGetTheRoleOfTheirHighestMappedGroup() {
    let policy = PeerPolicy(ownUID: 1000, groupID: 50, groupRoles: [60: .read, 70: .operate])
    #expect(policy.role(of: PeerCredentials(processID: gonePID, userID: 0, groupID: 9)) == .admin)
    #expect(policy.role(of: PeerCredentials(processID: gonePID, userID: 1000, groupID: 9)) == .admin)
    #expect(policy.role(of: PeerCredentials(processID: gonePID, userID: 2000, groupID: 50)) == .admin, "--group stays admin")
    #expect(policy.role(of: PeerCredentials(processID: gonePID, userID: 2000, groupID: 60)) == .read)
    #expect(policy.role(of: PeerCredentials(processID: gonePID, userID: 2000, groupID: 70)) == .operate)
    #expect(policy.role(of: PeerCredentials(processID: gonePID, userID: 2000, groupID: 80)) == nil)
    #expect(!policy.allows(PeerCredentials(processID: gonePID, userID: 2000, groupID: 80)))
    let bare = PeerPolicy(ownUID: 1000, groupID: nil)
    #expect(bare.role(of: PeerCredentials(processID: gonePID, userID: 2000, groupID: 60)) == nil)
}

@Test func unixRoleFlagsParseAndRepeat() throws {
    guard case .run(let c) = try NodeConfiguration.parse(arguments: ["--unix-role", "adm=read", "--unix-role=4242=operate"], readFile: { _ in nil }) else {
        Issue.record("expected a run command")
        return
    }
    #expect(c.unixRoles == [UnixRoleMapping(group: "adm", role: .read), UnixRoleMapping(group: "4242", role: .operate)])
    for bad in ["adm", "adm=root", "=read", "a b=read"] {
        #expect(throws: ConfigurationError.self, "\(bad)") { try UnixRoleMapping(parsing: bad) }
    }
    #expect(throws: ConfigurationError.self) { try PeerPolicy.resolveRoles([UnixRoleMapping(group: "no-such-group-berth", role: .read)]) }
    #expect(try PeerPolicy.resolveRoles([UnixRoleMapping(group: "12", role: .read), UnixRoleMapping(group: "12", role: .admin)]) == [12: .admin])
}
