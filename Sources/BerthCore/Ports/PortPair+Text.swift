/// Text form `internal:external` (external 0, or omitted, means "allocate"); lists `i:e,i:e`.
extension PortPair {
    /// Parses `i:e` or `i`, then validates.
    public init(parsing text: String) throws(PortPairError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else {
            throw PortPairError(input: text, reason: "expected internal:external")
        }
        func port(_ s: Substring, _ what: String) throws(PortPairError) -> UInt16 {
            guard let port = PortPair.portNumber(s) else {
                throw PortPairError(input: text, reason: "the \(what) port \(String(reflecting: String(s))) is not a number 0-65535")
            }
            return port
        }
        self.init(internal: try port(parts[0], "internal"),
                  external: parts.count == 2 ? try port(parts[1], "external") : 0)
        try validate()
    }

    /// `internal:external`.
    public var textForm: String { "\(self.internal):\(external)" }

    /// The internal port must be 1-65535; the external one 0 (allocate) or 1-65535.
    public func validate() throws(PortPairError) {
        if self.internal == 0 { throw PortPairError(input: textForm, reason: "the internal port must be 1-65535") }
    }
}

extension Array where Element == PortPair {
    /// Parses `i:e,i:e` (blanks around items allowed; the empty string is no pairs), then validates.
    public init(parsing text: String) throws(PortPairError) {
        self = []
        for item in try PortPair.items(ofList: text) { append(try PortPair(parsing: item)) }
        try validate()
    }

    /// `i:e,i:e`.
    public var textForm: String { map(\.textForm).joined(separator: ",") }

    /// Every pair valid, and no external port (other than 0) given twice.
    public func validate() throws(PortPairError) {
        var seen = Set<UInt16>()
        for pair in self {
            try pair.validate()
            if pair.external != 0 && !seen.insert(pair.external).inserted {
                throw PortPairError(input: textForm, reason: "external port \(pair.external) is used twice")
            }
        }
    }
}

/// A pair travels as `{"internal": 8080, "external": 40000}`; decoding validates.
extension PortPair: Codable {
    enum CodingKeys: String, CodingKey {
        case `internal`
        case external
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(internal: try container.decode(UInt16.self, forKey: .internal),
                  external: try container.decodeIfPresent(UInt16.self, forKey: .external) ?? 0)
        try container.check(at: .internal) { try validate() }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.internal, forKey: .internal)
        try container.encode(external, forKey: .external)
    }
}
