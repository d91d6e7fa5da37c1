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
    public var hexForAgent: String { Hex.encode(bytes) }

    /// The inverse of `hexForAgent`; nil for anything but hex of at least `minimumByteCount` bytes.
    public init?(hexForAgent text: String) {
        guard let bytes = Hex.decode(text), let secret = try? AuthSecret(bytes: bytes) else { return nil }
        self = secret
    }

    public var description: String { "AuthSecret(<redacted>)" }
}
