/// The shared secret for TCP challenge-response. It never crosses the wire and never prints.
public struct AuthSecret: Sendable, Hashable, CustomStringConvertible {
    public static let minimumByteCount = 16
    let bytes: [UInt8]

    /// Refuses secrets shorter than 16 bytes: a short secret can be guessed offline from one
    /// recorded exchange.
    public init(bytes: [UInt8]) throws(RPCError) {
        guard bytes.count >= AuthSecret.minimumByteCount else {
            throw RPCError(.invalidParams, "the auth secret must be at least \(AuthSecret.minimumByteCount) bytes, found \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// From a secret file's contents: trailing whitespace (the newline editors add) is not part of it.
    public init(fileContents: [UInt8]) throws(RPCError) {
        var b = fileContents
        while let last = b.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { b.removeLast() }
        try self.init(bytes: b)
    }

    /// The secret as lowercase hex, for handing it to the user's own `berth agent` over its private
    /// socket (the agent authenticates to nodes with it). Never for a node, a log or a file.
    public var hexForAgent: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The inverse of `hexForAgent`; nil for anything but an even number of hex digits.
    public init?(hexForAgent text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var k = 0
        while k < utf8.count {
            guard let high = nibble(utf8[k]), let low = nibble(utf8[k + 1]) else { return nil }
            bytes.append(high << 4 | low)
            k += 2
        }
        guard let secret = try? AuthSecret(bytes: bytes) else { return nil }
        self = secret
    }

    /// The bytes in one go (the synthesized hash fed them to the hasher one at a time; the agent
    /// keys its connections by the secret).
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public var description: String { "AuthSecret(<redacted>)" }
}
