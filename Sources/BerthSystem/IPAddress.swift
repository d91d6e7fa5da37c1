#if canImport(Glibc)
import Glibc
#endif

/// An IP address of one family (`IPv4Address`, `IPv6Address`): it parses and prints its standard
/// text, and travels in JSON as that text.
public protocol IPAddress: LosslessStringConvertible, Codable {
    /// The family in messages: `IPv4`, `IPv6`.
    static var familyName: String { get }
}

extension IPAddress {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not an \(Self.familyName) address: \(text)"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The standard text of the address whose bytes in network order are `bytes` (what an `in_addr`
    /// or `in6_addr` holds), of `family`, which takes at most `length` bytes with its NUL.
    /// The corresponding C function is `inet_ntop`.
    static func presentation(of bytes: [UInt8], family: CInt, length: CInt) -> String {
        var buffer = [CChar](repeating: 0, count: Int(length))
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
