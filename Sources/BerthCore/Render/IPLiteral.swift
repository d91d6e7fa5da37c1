import BerthSystem

/// An address family of the iptables plan.
public enum IPFamily: String, Hashable, Sendable, Codable, CaseIterable {
    case ipv4
    case ipv6
}

/// An IP address literal, checked and in canonical text form (what `inet_ntop` prints), so the
/// same address always renders the same rule. The one reader of IP text in BerthCore: `HostSyntax`
/// (link validation) and `IptablesPlanner` both go through it.
struct IPLiteral: Hashable, Sendable {
    let family: IPFamily
    let text: String
    let bytes: [UInt8]

    /// nil unless `string` is a dotted-quad IPv4 address or an IPv6 address without brackets or
    /// zone (BerthSystem's `IPv4Address`/`IPv6Address`, i.e. `inet_pton`).
    init?(_ string: String) {
        // inet_pton reads a C string: it would stop at a NUL and accept "1.2.3.4\0anything".
        guard !string.utf8.contains(0) else { return nil }
        if let v4 = IPv4Address(string) {
            (family, text, bytes) = (.ipv4, v4.description, v4.bytes)
        } else if let v6 = IPv6Address(string) {
            (family, text, bytes) = (.ipv6, v6.description, v6.bytes)
        } else {
            return nil
        }
    }

    init(_ string: String, field: String) throws(RenderError) {
        guard let literal = IPLiteral(string) else {
            throw RenderError(field: field, value: string, reason: "must be an IPv4 or IPv6 address literal (resolve host names first; no brackets, no zone)")
        }
        self = literal
    }

    var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }
    var isIPv6Loopback: Bool { family == .ipv6 && bytes == [UInt8](repeating: 0, count: 15) + [1] }

    /// `/32` or `/128`: one host.
    var hostPrefix: String { text + (family == .ipv4 ? "/32" : "/128") }

    /// The `--to-destination` form: `a.b.c.d:port` or `[v6]:port`.
    func endpoint(port: UInt16) -> String {
        family == .ipv4 ? "\(text):\(port)" : "[\(text)]:\(port)"
    }
}
