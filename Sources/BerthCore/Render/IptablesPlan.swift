/// One `sysctl` a plan needs in the container's network namespace.
public struct Sysctl: Hashable, Sendable, Codable {
    /// Dotted name, e.g. `net.ipv4.conf.all.route_localnet`.
    public let key: String
    public let value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    enum CodingKeys: String, CodingKey { case key, value }

    /// The file under /proc/sys to write `value` to (the same thing, without forking `sysctl`).
    public var procPath: String { "/proc/sys/" + key.replacing(".", with: "/") }
}

/// A rule that must exist once in a built-in chain: the jump into one of our chains. The node runs
/// `<iptablesProgram> <checkArguments>` and, when that fails, `<iptablesProgram> <appendArguments>`
/// (appending with `--noflush` restore would duplicate it).
public struct JumpRule: Hashable, Sendable, Codable {
    public let builtinChain: String
    public let target: String

    public init(builtinChain: String, target: String) {
        self.builtinChain = builtinChain
        self.target = target
    }

    enum CodingKeys: String, CodingKey { case builtinChain, target }

    public var checkArguments: [String] { ["-t", "nat", "-C", builtinChain, "-j", target] }
    public var appendArguments: [String] { ["-t", "nat", "-A", builtinChain, "-j", target] }
}

/// The iptables rules of one container's links for one address family, applied inside the
/// container's network namespace as a single `iptables-restore --noflush` transaction.
///
/// Our rules live in chains of our own (`BERTH-PRE`, `BERTH-OUT`, `BERTH-POST` in the nat table).
/// Declaring a chain in a `--noflush` restore empties it first, so applying a plan replaces the
/// previous one atomically and re-applying is idempotent; the plan of no links empties the chains,
/// which is how links are removed.
public struct IptablesPlan: Hashable, Sendable, Codable {
    public let family: IPFamily
    /// The whole `iptables-restore` input.
    public let restoreInput: String
    public let jumps: [JumpRule]
    public let sysctls: [Sysctl]

    enum CodingKeys: String, CodingKey { case family, restoreInput, jumps, sysctls }

    /// `iptables-restore` or `ip6tables-restore`.
    public var restoreProgram: String { family == .ipv4 ? "iptables-restore" : "ip6tables-restore" }
    /// `iptables` or `ip6tables` (for the jump rules).
    public var iptablesProgram: String { family == .ipv4 ? "iptables" : "ip6tables" }
    /// Arguments of `restoreProgram`; the input goes to its standard input.
    public var restoreArguments: [String] { ["--noflush"] }

    public static let preroutingChain = "BERTH-PRE"
    public static let outputChain = "BERTH-OUT"
    public static let postroutingChain = "BERTH-POST"

    /// The jumps from the built-in chains, the same for both families.
    public static let jumpRules = [
        JumpRule(builtinChain: "PREROUTING", target: preroutingChain),
        JumpRule(builtinChain: "OUTPUT", target: outputChain),
        JumpRule(builtinChain: "POSTROUTING", target: postroutingChain),
    ]

    init(family: IPFamily, restoreInput: String, sysctls: [Sysctl]) {
        self.family = family
        self.restoreInput = restoreInput
        self.jumps = IptablesPlan.jumpRules
        self.sysctls = sysctls
    }
}
