import Testing
@testable import BerthCore

@Suite struct IptablesPlannerTests {
    static let links = [
        ResolvedLink(fromAddress: "127.0.0.1", fromPort: 8080, toAddress: "198.18.0.2", toPort: 9000),
        ResolvedLink(fromAddress: "127.0.0.2", fromPort: 5432, toAddress: "198.18.0.3", toPort: 15432),
        ResolvedLink(fromAddress: "127.0.0.3", fromPort: 5432, toAddress: "198.18.0.3", toPort: 15432),
        ResolvedLink(fromAddress: "fd00:0:0::10", fromPort: 80, toAddress: "2001:DB8::0:1", toPort: 8080),
    ]

    @Test func goldenPlans() throws {
        let plans = try IptablesPlanner.plans(for: Self.links)
        try Golden.check(plans.ipv4.restoreInput, "iptables/links-v4.rules")
        try Golden.check(plans.ipv6.restoreInput, "iptables/links-v6.rules")
        let empty = try IptablesPlanner.plans(for: [])
        try Golden.check(empty.ipv4.restoreInput, "iptables/empty-v4.rules")
        try Golden.check(empty.ipv6.restoreInput, "iptables/empty-v6.rules")
    }

    @Test func rulesAreScopedAndCanonical() throws {
        let plans = try IptablesPlanner.plans(for: Self.links)
        let v4 = plans.ipv4.restoreInput
        #expect(v4.contains("-A BERTH-OUT -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:9000\n"))
        #expect(v4.contains("-A BERTH-PRE -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:9000\n"))
        #expect(v4.contains("-A BERTH-POST -d 198.18.0.2/32 -p tcp -m tcp --dport 9000 -j MASQUERADE\n"))
        // Two links to one destination share one MASQUERADE rule.
        #expect(v4.components(separatedBy: "-d 198.18.0.3/32").count == 2)
        #expect(!v4.contains("fd00"))
        // The v6 addresses are canonical, in brackets for DNAT.
        let v6 = plans.ipv6.restoreInput
        #expect(v6.contains("-d fd00::10/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [2001:db8::1]:8080\n"))
        #expect(plans.ipv4.restoreProgram == "iptables-restore" && plans.ipv6.restoreProgram == "ip6tables-restore")
        #expect(plans.ipv4.restoreArguments == ["--noflush"])
        // Never touches the built-in chains in the transaction: the jumps are separate.
        for plan in [plans.ipv4, plans.ipv6] {
            #expect(!plan.restoreInput.contains("-A PREROUTING") && !plan.restoreInput.contains("-A OUTPUT"))
            #expect(plan.restoreInput.hasPrefix("*nat\n:BERTH-PRE - [0:0]\n:BERTH-OUT - [0:0]\n:BERTH-POST - [0:0]\n"))
            #expect(plan.restoreInput.hasSuffix("COMMIT\n"))
        }
    }

    @Test func jumpsAndSysctls() throws {
        let plans = try IptablesPlanner.plans(for: Self.links)
        #expect(plans.ipv4.jumps.map(\.checkArguments) == [
            ["-t", "nat", "-C", "PREROUTING", "-j", "BERTH-PRE"],
            ["-t", "nat", "-C", "OUTPUT", "-j", "BERTH-OUT"],
            ["-t", "nat", "-C", "POSTROUTING", "-j", "BERTH-POST"],
        ])
        #expect(plans.ipv4.jumps[1].appendArguments == ["-t", "nat", "-A", "OUTPUT", "-j", "BERTH-OUT"])
        #expect(plans.ipv4.sysctls.map(\.key) == ["net.ipv4.conf.all.route_localnet", "net.ipv4.ip_forward"])
        #expect(plans.ipv4.sysctls[0].procPath == "/proc/sys/net/ipv4/conf/all/route_localnet")
        #expect(plans.ipv6.sysctls.map(\.key) == ["net.ipv6.conf.all.forwarding"])
        #expect(try IptablesPlanner.plans(for: []).ipv4.sysctls.isEmpty)
    }

    @Test func emptyPlanOnlyEmptiesOurChains() throws {
        let plan = try IptablesPlanner.plan(.ipv4, for: [])
        #expect(plan.restoreInput == "*nat\n:BERTH-PRE - [0:0]\n:BERTH-OUT - [0:0]\n:BERTH-POST - [0:0]\nCOMMIT\n")
    }

    @Test func sameLinksSamePlan() throws {
        let once = try IptablesPlanner.plans(for: Self.links)
        let twice = try IptablesPlanner.plans(for: Self.links + Self.links)
        #expect(once == twice)
    }

    @Test func v6LoopbackIsRefusedWithAReason() {
        do {
            _ = try IptablesPlanner.plans(for: [ResolvedLink(fromAddress: "::1", fromPort: 80, toAddress: "2001:db8::1", toPort: 80)])
            Issue.record("a ::1 link was accepted")
        } catch {
            #expect(error.description.contains("route_localnet"))
        }
    }

    @Test(arguments: [
        ResolvedLink(fromAddress: "localhost", fromPort: 80, toAddress: "198.18.0.2", toPort: 80),
        ResolvedLink(fromAddress: "127.0.0.1", fromPort: 80, toAddress: "example.com", toPort: 80),
        ResolvedLink(fromAddress: "127.0.0.1 -j ACCEPT", fromPort: 80, toAddress: "198.18.0.2", toPort: 80),
        ResolvedLink(fromAddress: "127.0.0.1\n-A OUTPUT", fromPort: 80, toAddress: "198.18.0.2", toPort: 80),
        ResolvedLink(fromAddress: "127.0.0.1\u{0}-A OUTPUT", fromPort: 80, toAddress: "198.18.0.2", toPort: 80),
        ResolvedLink(fromAddress: "[::1]", fromPort: 80, toAddress: "198.18.0.2", toPort: 80),
        ResolvedLink(fromAddress: "127.0.0.1", fromPort: 0, toAddress: "198.18.0.2", toPort: 80),
        ResolvedLink(fromAddress: "127.0.0.1", fromPort: 80, toAddress: "198.18.0.2", toPort: 0),
        ResolvedLink(fromAddress: "127.0.0.1", fromPort: 80, toAddress: "2001:db8::1", toPort: 80),
        ResolvedLink(fromAddress: "0.0.0.0", fromPort: 80, toAddress: "198.18.0.2", toPort: 80),
        ResolvedLink(fromAddress: "127.0.0.1", fromPort: 80, toAddress: "::", toPort: 80),
        ResolvedLink(fromAddress: "fe80::1%eth0", fromPort: 80, toAddress: "fe80::2", toPort: 80),
    ])
    func badLinksAreRefused(_ link: ResolvedLink) {
        #expect(throws: RenderError.self) { try IptablesPlanner.plans(for: [link]) }
    }

    @Test func conflictingLinksAreRefused() {
        let a = ResolvedLink(fromAddress: "127.0.0.1", fromPort: 80, toAddress: "198.18.0.2", toPort: 80)
        let b = ResolvedLink(fromAddress: "127.0.0.1", fromPort: 80, toAddress: "198.18.0.3", toPort: 80)
        #expect(throws: RenderError.self) { try IptablesPlanner.plans(for: [a, b]) }
        #expect(throws: RenderError.self) { try IptablesPlanner.plan(.ipv6, for: [a]) }
    }
}
