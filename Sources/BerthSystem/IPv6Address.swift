#if canImport(Glibc)
import Glibc
#endif

/// An IPv6 address such as `::1` or `fd00::5`.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible, Codable {
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
    public var description: String {
        var addr = in6Addr
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = IPv6Address(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not an IPv6 address: \(text)"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
