/// A stable snake_case word that says what went wrong; every error response carries one in
/// `error.data.kind`. Clients branch on the kind, never on the message. New kinds may be added within a
/// major protocol version, so clients must treat an unknown kind like `internal`.
public struct ErrorKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    // JSON-RPC's own errors.
    public static let parseError: ErrorKind = "parse_error"
    public static let invalidRequest: ErrorKind = "invalid_request"
    public static let methodNotFound: ErrorKind = "method_not_found"
    public static let invalidParams: ErrorKind = "invalid_params"
    public static let `internal`: ErrorKind = "internal"

    // Berth's errors (server codes).
    public static let notFound: ErrorKind = "not_found"
    public static let alreadyExists: ErrorKind = "already_exists"
    public static let invalidIdentifier: ErrorKind = "invalid_identifier"
    public static let portUnavailable: ErrorKind = "port_unavailable"
    public static let unauthorized: ErrorKind = "unauthorized"
    public static let unsupportedVersion: ErrorKind = "unsupported_version"
    public static let busy: ErrorKind = "busy"
    public static let timeout: ErrorKind = "timeout"
    public static let systemdFailed: ErrorKind = "systemd_failed"
    public static let runtimeFailed: ErrorKind = "runtime_failed"
    public static let linkFailed: ErrorKind = "link_failed"
    public static let cursorExpired: ErrorKind = "cursor_expired"
    public static let lineTooLong: ErrorKind = "line_too_long"
    public static let conflict: ErrorKind = "conflict"

    /// The code for a kind with no entry in the table (a kind added later, or a node's private one).
    public static let genericServerCode = -32000

    /// The kind -> code table; docs/protocol.md shows the same table and a test keeps them equal.
    /// Codes never change once published; new kinds take the next free server code.
    public static let codes: [(kind: ErrorKind, code: Int)] = [
        (.parseError, -32700),
        (.invalidRequest, -32600),
        (.methodNotFound, -32601),
        (.invalidParams, -32602),
        (.internal, -32603),
        (.notFound, -32001),
        (.alreadyExists, -32002),
        (.invalidIdentifier, -32003),
        (.portUnavailable, -32004),
        (.unauthorized, -32005),
        (.unsupportedVersion, -32006),
        (.busy, -32007),
        (.timeout, -32008),
        (.systemdFailed, -32009),
        (.runtimeFailed, -32010),
        (.linkFailed, -32011),
        (.cursorExpired, -32012),
        (.lineTooLong, -32013),
        (.conflict, -32014),
    ]

    private static let codeByKind: [ErrorKind: Int] = Dictionary(uniqueKeysWithValues: codes.map { ($0.kind, $0.code) })
    private static let kindByCode: [Int: ErrorKind] = Dictionary(uniqueKeysWithValues: codes.map { ($0.code, $0.kind) })

    /// The JSON-RPC error code for this kind.
    public var code: Int { ErrorKind.codeByKind[self] ?? ErrorKind.genericServerCode }

    /// The kind a code stands for, for error objects that arrive without `data.kind`.
    public static func forCode(_ code: Int) -> ErrorKind {
        kindByCode[code] ?? .internal
    }
}
