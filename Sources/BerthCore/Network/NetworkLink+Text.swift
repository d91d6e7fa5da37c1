/// The text forms of links: `[from_host:]from_port:to_host:to_port` (from_host defaults to
/// 127.0.0.1; an empty to_host or a to_port of 0 means "not yet known"), IPv6 addresses in brackets
/// (`[fd00::1]:80:[fd00::2]:8080`), several separated by commas. The compact form always writes the
/// from host (`fh:fp:th:tp,...`); the display form is `fh:fp -> th:tp, ...`.
extension NetworkLink {
    /// Parses one link and validates it.
    public init(parsing text: String) throws(NetworkLinkError) {
        let fields = try NetworkLink.fields(of: text)
        let hostFields: [Int]
        switch fields.count {
        case 4: hostFields = [0, 2]
        case 3: hostFields = [1]
        default:
            throw NetworkLinkError(input: text, reason: "expected [from_host:]from_port:to_host:to_port (IPv6 addresses in brackets)")
        }
        for (i, field) in fields.enumerated() where field.bracketed && !hostFields.contains(i) {
            throw NetworkLinkError(input: text, reason: "only hosts may be in brackets")
        }
        for i in hostFields where fields[i].bracketed && !HostSyntax.isIPv6(fields[i].text) {
            throw NetworkLinkError(input: text, reason: "\(String(reflecting: fields[i].text)) in brackets is not an IPv6 address")
        }
        let offset = fields.count - 3
        let fromHost = offset == 1 ? fields[0].text : NetworkLink.defaultFromHost
        if offset == 1 && fromHost.isEmpty { throw NetworkLinkError(input: text, reason: "the from host is empty") }
        self.init(fromHost: fromHost,
                  fromPort: try NetworkLink.port(fields[offset].text, in: text, what: "from port"),
                  toHost: fields[offset + 1].text,
                  toPort: try NetworkLink.port(fields[offset + 2].text, in: text, what: "to port"))
        do { try validate() } catch { throw NetworkLinkError(input: text, reason: error.reason) }
    }

    /// `fh:fp:th:tp`, hosts with ':' in brackets. `init(parsing:)` reads it back to the same link.
    public var compactForm: String {
        "\(NetworkLink.bracketed(fromHost)):\(fromPort):\(NetworkLink.bracketed(toHost)):\(toPort)"
    }

    /// `fh:fp -> th:tp`, for people.
    public var displayForm: String {
        "\(NetworkLink.bracketed(fromHost)):\(fromPort) -> \(NetworkLink.bracketed(toHost)):\(toPort)"
    }

    /// `host`, bracketed when it is an IPv6 literal (`[::1]`), so a `:port` after it reads unambiguously.
    public static func bracketed(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    /// `host:port`, the host bracketed when it is an IPv6 literal (`[::1]:8080`).
    public static func hostPort(_ host: String, _ port: UInt16) -> String { "\(bracketed(host)):\(port)" }

    private struct Field {
        var text: String
        var bracketed: Bool
    }

    private static func fields(of text: String) throws(NetworkLinkError) -> [Field] {
        let bytes = Array(text.utf8)
        var fields: [Field] = []
        var i = 0
        while true {
            var field = Field(text: "", bracketed: false)
            if i < bytes.count && bytes[i] == UInt8(ascii: "[") {
                guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "]")) else {
                    throw NetworkLinkError(input: text, reason: "'[' without ']'")
                }
                field = Field(text: String(decoding: bytes[(i + 1)..<close], as: UTF8.self), bracketed: true)
                i = close + 1
                if i < bytes.count && bytes[i] != UInt8(ascii: ":") {
                    throw NetworkLinkError(input: text, reason: "expected ':' after ']'")
                }
            } else {
                let end = bytes[i...].firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
                field.text = String(decoding: bytes[i..<end], as: UTF8.self)
                i = end
            }
            fields.append(field)
            if fields.count > 4 { break }
            if i >= bytes.count { break }
            i += 1  // the ':'
        }
        return fields
    }

    private static func port(_ s: String, in text: String, what: String) throws(NetworkLinkError) -> UInt16 {
        guard let port = portNumber(s) else {
            throw NetworkLinkError(input: text, reason: "the \(what) \(String(reflecting: s)) is not a number 0-65535")
        }
        return port
    }
}

extension Array where Element == NetworkLink {
    /// Parses comma-separated links (blanks around each allowed); the empty string is no links.
    public init(parsing text: String) throws(NetworkLinkError) {
        self = []
        for item in try NetworkLink.items(ofList: text) { append(try NetworkLink(parsing: item)) }
        try validate()
    }

    /// `fh:fp:th:tp,fh:fp:th:tp`.
    public var compactForm: String { map(\.compactForm).joined(separator: ",") }

    /// `fh:fp -> th:tp, fh:fp -> th:tp`.
    public var displayForm: String { map(\.displayForm).joined(separator: ", ") }
}
