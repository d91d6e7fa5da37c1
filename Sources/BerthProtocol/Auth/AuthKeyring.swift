/// One of a node's secrets: its name (the `keyId` a client may send) and the role it grants.
public struct NamedSecret: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let role: Role
    public let secret: AuthSecret

    public init(name: String, role: Role, secret: AuthSecret) {
        self.name = name
        self.role = role
        self.secret = secret
    }

    public var description: String { "\(name) (\(role))" }
}

/// The secrets a node accepts on TCP, each with a name and a role. Several at once is what makes
/// rotation possible: add the new secret, move clients over, remove the old one.
///
/// A secret file is either one secret (the format from before roles: the whole file, trailing
/// whitespace trimmed, named `default`, role `admin`), or, when its first line is `berth-secrets 1`,
/// one secret per line as `NAME ROLE SECRET` (blank lines and `#` comments allowed). SECRET is a
/// token without blanks, taken byte for byte as a client's secret file holds it (for example the
/// output of `openssl rand -hex 32`), at least 16 bytes.
public struct AuthKeyring: Sendable, Hashable {
    public static let header = "berth-secrets 1"
    /// The name of the one secret of a file in the single-secret format.
    public static let singleSecretName = "default"
    public static let maximumNameLength = 64

    public let entries: [NamedSecret]

    /// Refuses an empty ring, a name used twice, a name that is not a short token, and one secret
    /// under two names (which of its roles would a client get?).
    public init(_ entries: [NamedSecret]) throws(RPCError) {
        guard !entries.isEmpty else { throw RPCError(.invalidParams, "no secrets: a secret file must hold at least one") }
        var names: Set<String> = []
        var secrets: Set<AuthSecret> = []
        for entry in entries {
            guard AuthKeyring.isValidName(entry.name) else {
                throw RPCError(.invalidParams, "secret name \(String(reflecting: entry.name)) must be 1 to \(AuthKeyring.maximumNameLength) of A-Z a-z 0-9 . _ -")
            }
            guard names.insert(entry.name).inserted else { throw RPCError(.invalidParams, "secret name \(entry.name) appears twice") }
            guard secrets.insert(entry.secret).inserted else { throw RPCError(.invalidParams, "secret \(entry.name) is the same secret as an earlier one") }
        }
        self.entries = entries
    }

    /// One secret with the `admin` role, as a single-secret file gives.
    public init(single secret: AuthSecret) {
        self.entries = [NamedSecret(name: AuthKeyring.singleSecretName, role: .admin, secret: secret)]
    }

    /// From a secret file's contents, in either format (see the type's comment). Errors name the
    /// line, never a secret.
    public init(fileContents: [UInt8]) throws(RPCError) {
        let headerBytes = Array(AuthKeyring.header.utf8)
        guard fileContents.starts(with: headerBytes),
              fileContents.count == headerBytes.count || fileContents[headerBytes.count] == 0x0A || fileContents[headerBytes.count] == 0x0D else {
            self.init(single: try AuthSecret(fileContents: fileContents))
            return
        }
        var entries: [NamedSecret] = []
        let lines = fileContents.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated().dropFirst() {
            let fields = raw.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            guard let first = fields.first, first.first != UInt8(ascii: "#") else { continue }
            let lineNumber = index + 1
            guard fields.count == 3 else { throw RPCError(.invalidParams, "line \(lineNumber): expected NAME ROLE SECRET") }
            let name = String(decoding: fields[0], as: UTF8.self)
            guard let role = Role(rawValue: String(decoding: fields[1], as: UTF8.self)) else {
                throw RPCError(.invalidParams, "line \(lineNumber): the role must be one of \(Role.spellings)")
            }
            let secret: AuthSecret
            do { secret = try AuthSecret(bytes: Array(fields[2])) } catch {
                throw RPCError(.invalidParams, "line \(lineNumber): \(error.message)")
            }
            entries.append(NamedSecret(name: name, role: role, secret: secret))
        }
        try self.init(entries)
    }

    static func isValidName(_ name: String) -> Bool {
        (1...maximumNameLength).contains(name.utf8.count)
            && name.utf8.allSatisfy { $0 < 0x80 && (UInt8(ascii: "a")...UInt8(ascii: "z") ~= $0 || UInt8(ascii: "A")...UInt8(ascii: "Z") ~= $0
                || UInt8(ascii: "0")...UInt8(ascii: "9") ~= $0 || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")) }
    }

    /// The entry `secret` authenticated with, as this ring has it now: nil when it is gone or its
    /// bytes changed (the connection must authenticate again), otherwise with its current role.
    public func current(_ secret: NamedSecret) -> NamedSecret? {
        entries.first { $0.name == secret.name && $0.secret == secret.secret }
    }

    public var names: [String] { entries.map(\.name) }
}
