/// Turns a container's resolved links into its IPv4 and IPv6 iptables plans.
///
/// Per link, in the container's network namespace:
/// - `BERTH-OUT`: DNAT of the container's own connections to `from:port` (the usual case: a local
///   client dialling `127.0.0.1:port`);
/// - `BERTH-PRE`: the same DNAT for connections forwarded into the namespace;
/// - `BERTH-POST`: MASQUERADE of traffic to the link's destination, so replies come back through the
///   namespace (DNAT from a loopback address also needs `route_localnet=1`: a packet with source
///   127.0.0.1 may not leave otherwise). MASQUERADE picks the outgoing interface's address, so no
///   assumption about `eth0` or the container's address is needed.
///
/// IPv6 has no `route_localnet`: a packet from `::1` can never leave the namespace, so a v6 link
/// from `::1` cannot work and is refused. Use an IPv4 loopback address, or a non-loopback v6
/// address of the container.
public enum IptablesPlanner {
    /// Both families' plans. Links are split by family; a family without links still gets a plan
    /// that empties its chains.
    public static func plans(for links: [ResolvedLink]) throws(RenderError) -> (ipv4: IptablesPlan, ipv6: IptablesPlan) {
        let checked = try check(links)
        return (render(.ipv4, checked.filter { $0.from.family == .ipv4 }),
                render(.ipv6, checked.filter { $0.from.family == .ipv6 }))
    }

    /// One family's plan; links of the other family are refused.
    public static func plan(_ family: IPFamily, for links: [ResolvedLink]) throws(RenderError) -> IptablesPlan {
        let checked = try check(links)
        if let other = checked.first(where: { $0.from.family != family }) {
            throw RenderError(field: "link", value: other.link.description, reason: "is not an \(family.rawValue) link")
        }
        return render(family, checked)
    }

    struct Checked: Hashable {
        let link: ResolvedLink
        let from: IPLiteral
        let to: IPLiteral
    }

    static func check(_ links: [ResolvedLink]) throws(RenderError) -> [Checked] {
        var result: [Checked] = []
        var byEntry: [String: Checked] = [:]
        for link in links {
            func fail(_ reason: String) -> RenderError { RenderError(field: "link", value: link.description, reason: reason) }
            let from = try IPLiteral(link.fromAddress, field: "link from address")
            let to = try IPLiteral(link.toAddress, field: "link to address")
            if link.fromPort == 0 { throw fail("the from port may not be 0") }
            if link.toPort == 0 { throw fail("the to port is not known yet; incomplete links are not applied") }
            if from.family != to.family { throw fail("from and to addresses must be of the same family (no NAT between IPv4 and IPv6)") }
            if from.isUnspecified || to.isUnspecified { throw fail("the unspecified address cannot be linked") }
            if from.isIPv6Loopback {
                throw fail("an IPv6 link cannot start at ::1: IPv6 has no route_localnet, so packets from ::1 never leave the namespace; use 127.0.0.1 or a non-loopback address")
            }
            let checked = Checked(link: link, from: from, to: to)
            let entry = from.endpoint(port: link.fromPort)
            if let existing = byEntry[entry] {
                if existing.to == to && existing.link.toPort == link.toPort { continue }
                throw fail("\(entry) is already linked to \(existing.to.endpoint(port: existing.link.toPort))")
            }
            byEntry[entry] = checked
            result.append(checked)
        }
        return result
    }

    static func render(_ family: IPFamily, _ links: [Checked]) -> IptablesPlan {
        var lines = ["*nat"]
        for chain in [IptablesPlan.preroutingChain, IptablesPlan.outputChain, IptablesPlan.postroutingChain] {
            lines.append(":\(chain) - [0:0]")
        }
        var postRules = Set<String>()
        var post: [String] = []
        var pre: [String] = []
        var out: [String] = []
        for c in links {
            let match = "-d \(c.from.hostPrefix) -p tcp -m tcp --dport \(c.link.fromPort)"
            let dnat = "-j DNAT --to-destination \(c.to.endpoint(port: c.link.toPort))"
            pre.append("-A \(IptablesPlan.preroutingChain) \(match) \(dnat)")
            out.append("-A \(IptablesPlan.outputChain) \(match) \(dnat)")
            let masquerade = "-A \(IptablesPlan.postroutingChain) -d \(c.to.hostPrefix) -p tcp -m tcp --dport \(c.link.toPort) -j MASQUERADE"
            if postRules.insert(masquerade).inserted { post.append(masquerade) }
        }
        lines += pre + out + post
        lines.append("COMMIT")
        let sysctls: [Sysctl]
        if links.isEmpty {
            sysctls = []
        } else if family == .ipv4 {
            sysctls = [Sysctl(key: "net.ipv4.conf.all.route_localnet", value: "1"), Sysctl(key: "net.ipv4.ip_forward", value: "1")]
        } else {
            sysctls = [Sysctl(key: "net.ipv6.conf.all.forwarding", value: "1")]
        }
        return IptablesPlan(family: family, restoreInput: lines.joined(separator: "\n") + "\n", sysctls: sysctls)
    }
}
