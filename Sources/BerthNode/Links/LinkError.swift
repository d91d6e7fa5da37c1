import BerthProtocol

/// Why links could not be resolved or applied. Every failure surfaces: the node reports it to the
/// caller as `link_failed` (or `invalid_params` for a link that can never work), never ignores it.
public struct LinkError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, Codable {
        /// The link itself cannot work (bad host, loopback target without a host address, ...).
        case invalid
        /// The target host name did not resolve to an address of the link's family.
        case unresolvable
        /// The container has no process to enter (not running, unknown, or the node's own namespace).
        case noProcess
        /// A tool (nsenter, sysctl, iptables-restore, iptables) failed; `stderr` says why.
        case toolFailed
    }

    public let kind: Kind
    public let message: String
    /// The failing tool's standard error, trimmed, when a tool failed.
    public let stderr: String

    public init(_ kind: Kind, _ message: String, stderr: String = "") {
        self.kind = kind
        self.message = message
        self.stderr = stderr
    }

    public var description: String { stderr.isEmpty ? message : "\(message): \(stderr)" }

    /// The error as the caller sees it: `invalid_params` for links that can never work, otherwise
    /// `link_failed` with the tool's stderr in `data.stderr`.
    public var rpcError: RPCError {
        var details: [String: JSONValue] = ["reason": .string(kind.rawValue)]
        if !stderr.isEmpty { details["stderr"] = .string(stderr) }
        return RPCError(kind == .invalid ? .invalidParams : .linkFailed, description, details: details)
    }
}
