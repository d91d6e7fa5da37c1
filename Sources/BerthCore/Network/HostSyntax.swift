/// What a host in a link may be: an IP literal, or an RFC 1123 host name. Nothing else, so no text
/// from a link can carry blanks, shell or iptables syntax, or an option (`-x`) into a rule.
public enum HostSyntax {
    /// A dotted-quad IPv4 literal, as `inet_pton(AF_INET)` reads it (no octal, hex or short forms).
    public static func isIPv4(_ s: String) -> Bool { IPLiteral(s)?.family == .ipv4 }

    /// An IPv6 literal without brackets or zone, as `inet_pton(AF_INET6)` reads it.
    public static func isIPv6(_ s: String) -> Bool { IPLiteral(s)?.family == .ipv6 }

    public static func isIPLiteral(_ s: String) -> Bool { IPLiteral(s) != nil }

    /// An RFC 1123 host name: dot-separated labels of 1-63 letters, digits and '-', neither starting
    /// nor ending with '-', at most 253 bytes, no trailing dot. The last label may not be all digits:
    /// resolvers read `1.2.3` as the address 1.2.0.3, so such a "name" would really be an address.
    public static func isHostName(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"),
                  label.last != UInt8(ascii: "-") else { return false }
            for b in label where !(isAlphanumeric(b) || b == UInt8(ascii: "-")) { return false }
        }
        return !labels.last!.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Explains what is wrong with `host`, or returns nil if it is acceptable. `allowName` admits host
    /// names besides IP literals.
    public static func problem(with host: String, allowName: Bool) -> String? {
        if isIPLiteral(host) || (allowName && isHostName(host)) { return nil }
        if host.isEmpty { return "the host is empty" }
        if host.hasPrefix("-") { return "a host may not start with '-'" }
        if host.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return "a host may not contain blanks or control characters"
        }
        if host.hasPrefix("[") || host.hasSuffix("]") {
            return "brackets belong around an IPv6 address in the text form only"
        }
        if allowName {
            return "\(String(reflecting: host)) is neither an IP address nor an RFC 1123 host name"
        }
        return "\(String(reflecting: host)) is not an IP address"
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}
