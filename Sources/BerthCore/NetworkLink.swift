/// An outbound link: connections the container makes to `fromHost:fromPort` (inside its own network
/// namespace) are sent to `toHost:toPort`. `toPort == 0` means "not yet known": stored, not applied.
/// Text form `[from_host:]from_port:to_host:to_port`; IPv6 hosts in brackets (`[fd00::1]:80`).
public struct NetworkLink: Hashable, Sendable {
    /// An IP literal (v4 or v6, without brackets). Defaults to 127.0.0.1.
    public var fromHost: String
    public var fromPort: UInt16
    /// An IP literal or an RFC 1123 host name; resolved to an address before it enters a rule.
    public var toHost: String
    public var toPort: UInt16
    public init(fromHost: String = NetworkLink.defaultFromHost, fromPort: UInt16, toHost: String, toPort: UInt16) {
        self.fromHost = fromHost
        self.fromPort = fromPort
        self.toHost = toHost
        self.toPort = toPort
    }
    public static let defaultFromHost = "127.0.0.1"
}

public typealias NetworkLinks = [NetworkLink]
