extension NetworkLink {
    /// geard's Check: `fromPort` 1-65535, `toPort` 0 (not yet known) or a port, `fromHost` an IP
    /// literal, `toHost` an IP literal, an RFC 1123 name, or empty (not yet known).
    public func validate() throws(NetworkLinkError) {
        if fromPort == 0 { throw NetworkLinkError(input: compactForm, reason: "the from port must be 1-65535") }
        if let problem = HostSyntax.problem(with: fromHost, allowName: false) {
            throw NetworkLinkError(input: compactForm, reason: "from host: \(problem)")
        }
        if !toHost.isEmpty, let problem = HostSyntax.problem(with: toHost, allowName: true) {
            throw NetworkLinkError(input: compactForm, reason: "to host: \(problem)")
        }
    }

    /// Whether the link can be applied: the target host and port are known. Incomplete links are
    /// stored but not applied.
    public var isComplete: Bool { toPort != 0 && !toHost.isEmpty }

    /// Whether the from side is an IPv6 address (the link goes into ip6tables).
    public var isIPv6: Bool { HostSyntax.isIPv6(fromHost) }
}

extension Array where Element == NetworkLink {
    /// Validates every link, and refuses two links for the same from address and port (one
    /// destination per intercepted address).
    public func validate() throws(NetworkLinkError) {
        var seen = Set<String>()
        for link in self {
            try link.validate()
            let key = "\(NetworkLink.bracketed(link.fromHost)):\(link.fromPort)"
            if !seen.insert(key).inserted {
                throw NetworkLinkError(input: link.compactForm, reason: "\(key) is linked twice")
            }
        }
    }
}

/// A link travels as `{"fromHost", "fromPort", "toHost", "toPort"}`; decoding validates.
extension NetworkLink: Codable {
    enum CodingKeys: String, CodingKey {
        case fromHost
        case fromPort
        case toHost
        case toPort
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(fromHost: try container.decodeIfPresent(String.self, forKey: .fromHost) ?? NetworkLink.defaultFromHost,
                  fromPort: try container.decode(UInt16.self, forKey: .fromPort),
                  toHost: try container.decodeIfPresent(String.self, forKey: .toHost) ?? "",
                  toPort: try container.decodeIfPresent(UInt16.self, forKey: .toPort) ?? 0)
        try container.check(at: .fromHost) { try validate() }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(fromHost, forKey: .fromHost)
        try container.encode(fromPort, forKey: .fromPort)
        try container.encode(toHost, forKey: .toHost)
        try container.encode(toPort, forKey: .toPort)
    }
}
