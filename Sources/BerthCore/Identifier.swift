import BerthProtocol

/// The name of a container, as the user gives it: `web`, `db-1`. Never includes the `ctr-` unit prefix.
///
/// The rule (documented in docs/architecture.md): 1 to 63 characters of `[A-Za-z0-9_.-]`, the first
/// one a letter or digit. So an identifier is a single path component that is never `.`, `..`, hidden
/// or option-like, it can never carry a `/`, `%`, `\`, whitespace or a control character into a path,
/// a unit name or a command line, and it is a valid systemd unit-name body and podman container name.
public struct Identifier: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Fails for any string outside the rule above. (RawRepresentable's optional init.)
    public init?(rawValue: String) {
        guard (try? Identifier.validate(rawValue)) != nil else { return nil }
        self.rawValue = rawValue
    }

    /// Throws an error that names the rule the string broke.
    public init(_ string: String) throws(IdentifierError) {
        try Identifier.validate(string)
        self.rawValue = string
    }

    public static let maxLength = 63
    /// The prefix of every unit and Unix user that belongs to a container.
    public static let unitPrefix = "ctr-"

    public var description: String { rawValue }
    public static func < (a: Identifier, b: Identifier) -> Bool { a.rawValue < b.rawValue }
}

/// Why a string is not a valid identifier.
public typealias IdentifierError = InvalidInput<Identifier>

extension Identifier: InvalidInputSubject {
    public static let inputNoun = "identifier"
}

extension Identifier {
    /// Checks `string` against the rule; the thrown error names the part of the rule it broke.
    public static func validate(_ string: String) throws(IdentifierError) {
        if string.isEmpty { throw IdentifierError(input: string, reason: "identifier may not be empty") }
        let bytes = Array(string.utf8)
        if bytes.count > maxLength {
            throw IdentifierError(input: string, reason: "longer than \(maxLength) characters")
        }
        func isAlnum(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
        }
        if !isAlnum(bytes[0]) {
            throw IdentifierError(input: string, reason: "must start with a letter or digit")
        }
        for b in bytes where !(isAlnum(b) || b == 0x5F || b == 0x2E || b == 0x2D) {
            throw IdentifierError(input: string, reason: "may contain only letters, digits, '_', '.' and '-'")
        }
    }
}
