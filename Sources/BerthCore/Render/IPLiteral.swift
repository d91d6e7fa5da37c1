#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An address family of the iptables plan.
public enum IPFamily: String, Hashable, Sendable, Codable, CaseIterable {
    case ipv4
    case ipv6
}

/// An IP address literal, checked and in canonical text form (what `inet_ntop` prints), so the
/// same address always renders the same rule.
struct IPLiteral: Hashable, Sendable {
    let family: IPFamily
    let text: String
    let bytes: [UInt8]

    init(_ string: String, field: String) throws(RenderError) {
        func fail() -> RenderError {
            RenderError(field: field, value: string, reason: "must be an IPv4 or IPv6 address literal (resolve host names first; no brackets, no zone)")
        }
        if string.isEmpty || string.utf8.count > 45 || string.utf8.contains(where: { $0 == 0 }) { throw fail() }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            family = .ipv4
            bytes = withUnsafeBytes(of: v4) { Array($0) }
            text = IPLiteral.format(AF_INET, bytes, length: socklen_t(INET_ADDRSTRLEN))
        } else if inet_pton(AF_INET6, string, &v6) == 1 {
            family = .ipv6
            bytes = withUnsafeBytes(of: v6) { Array($0) }
            text = IPLiteral.format(AF_INET6, bytes, length: socklen_t(INET6_ADDRSTRLEN))
        } else {
            throw fail()
        }
    }

    private static func format(_ af: Int32, _ address: [UInt8], length: socklen_t) -> String {
        var buffer = [CChar](repeating: 0, count: Int(length))
        let ok = address.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(af, raw.baseAddress, out.baseAddress, length) != nil
            }
        }
        precondition(ok, "inet_ntop failed on an address inet_pton accepted")
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
