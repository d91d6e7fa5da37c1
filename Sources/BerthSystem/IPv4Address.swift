#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 address such as `127.0.0.1`.
public struct IPv4Address: IPAddress, Hashable, Sendable, Comparable {
    /// The address as a number in host byte order (`127.0.0.1` is `0x7f000001`).
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Parses dotted-quad text; nil for anything else (no hostnames, no shortened forms).
    /// The corresponding C function is `inet_pton`.
    public init?(_ text: String) {
        var addr = in_addr()
        guard inet_pton(AF_INET, text, &addr) == 1 else { return nil }
        rawValue = UInt32(bigEndian: addr.s_addr)
    }

    public static let loopback = IPv4Address(rawValue: 0x7f00_0001)
    public static let any = IPv4Address(rawValue: 0)

    /// The four bytes in network order.
    public var bytes: [UInt8] { withUnsafeBytes(of: rawValue.bigEndian) { Array($0) } }

    public var isLoopback: Bool { rawValue >> 24 == 127 }

    var inAddr: in_addr { in_addr(s_addr: rawValue.bigEndian) }

    /// Dotted-quad text. The corresponding C function is `inet_ntop`.
    public var description: String { Self.presentation(of: bytes, family: AF_INET, length: INET_ADDRSTRLEN) }

    public static let familyName = "IPv4"

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.rawValue < b.rawValue }
}
