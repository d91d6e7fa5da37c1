#if canImport(Glibc)
import Glibc
#endif

/// An IPv6 address such as `::1` or `fd00::5`.
public struct IPv6Address: IPAddress, Hashable, Sendable {
    /// The sixteen bytes in network order.
    public let bytes: [UInt8]

    /// nil unless `bytes` has exactly 16 elements.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses RFC 4291 text (without brackets or a zone); nil for anything else.
    /// The corresponding C function is `inet_pton`.
    public init?(_ text: String) {
        var addr = in6_addr()
        guard inet_pton(AF_INET6, text, &addr) == 1 else { return nil }
        bytes = withUnsafeBytes(of: addr) { Array($0) }
    }

    init(_ addr: in6_addr) { bytes = withUnsafeBytes(of: addr) { Array($0) } }

    public static let loopback = IPv6Address(bytes: Array(repeating: 0, count: 15) + [1])!
    public static let any = IPv6Address(bytes: Array(repeating: 0, count: 16))!

    public var isLoopback: Bool { self == .loopback }

    var in6Addr: in6_addr {
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes) }
        return addr
    }

    /// The shortest standard form (`::1`). The corresponding C function is `inet_ntop`.
    public var description: String { Self.presentation(of: bytes, family: AF_INET6, length: INET6_ADDRSTRLEN) }

    public static let familyName = "IPv6"
}
