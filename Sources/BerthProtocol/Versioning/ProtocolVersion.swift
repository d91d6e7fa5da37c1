/// Protocol major versions. Within a major version changes are additive only (new methods, new
/// optional params, new result members, new error kinds); anything else takes a new major.
public enum ProtocolVersion {
    /// The major version this code speaks best.
    public static let current = 1
    /// The majors this code can serve.
    public static let supported: ClosedRange<Int> = 1...1

    /// Picks the highest major both sides speak, or refuses with `unsupported_version` naming the
    /// node's range in `data.supported {min, max}`.
    public static func negotiate(clientSpeaks: [Int], supported: ClosedRange<Int> = ProtocolVersion.supported) throws(RPCError) -> Int {
        guard !clientSpeaks.isEmpty else {
            throw RPCError.invalidParams("protocols must list at least one major version the client speaks", path: "protocols")
        }
        if let chosen = clientSpeaks.filter(supported.contains).max() { return chosen }
        let listed = clientSpeaks.map(String.init).joined(separator: ", ")
        throw RPCError(
            .unsupportedVersion,
            "this node speaks protocol \(supported.lowerBound)...\(supported.upperBound); the client speaks \(listed). Upgrade the older side.",
            details: [
                "supported": .object(["min": .int(Int64(supported.lowerBound)), "max": .int(Int64(supported.upperBound))]),
                "requested": .array(clientSpeaks.map { .int(Int64($0)) }),
            ])
    }
}
