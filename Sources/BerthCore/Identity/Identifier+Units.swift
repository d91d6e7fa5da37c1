/// The names systemd and the host know a container by. Every one is `ctr-` followed by the identifier,
/// so `Identifier(unitName:)` and `Identifier(loginName:)` can map them back without a lookup table.
extension Identifier {
    /// `ctr-<id>.service`: the unit that runs the container.
    public var unitName: String { "\(Identifier.unitPrefix)\(rawValue).service" }

    /// `ctr-<id>.socket`: the socket unit of a socket-activated container.
    public var socketUnitName: String { "\(Identifier.unitPrefix)\(rawValue).socket" }

    /// `ctr-<id>.idle`: the name of the flag file that marks a container stopped for being idle
    /// (Layout places it).
    public var idleFlagName: String { "\(Identifier.unitPrefix)\(rawValue).idle" }

    /// `job-<id>.service`: a one-off job named after a container (geard's `UnitNameForJob`).
    public var jobUnitName: String { "job-\(rawValue).service" }

    /// `ctr-<id>`: the Unix login of the container's user (GECOS "Container user"). `useradd` limits
    /// logins to 32 bytes, so only identifiers up to 28 characters can have one; see `hasLoginName`.
    public var loginName: String { "\(Identifier.unitPrefix)\(rawValue)" }

    /// The longest login name `useradd` accepts on Linux.
    public static let maxLoginNameLength = 32

    /// Whether `loginName` fits the Linux login-name limit.
    public var hasLoginName: Bool { loginName.utf8.count <= Identifier.maxLoginNameLength }

    /// The container a unit belongs to: `ctr-<id>.service` or `ctr-<id>.socket` give `<id>`;
    /// any other unit (jobs, targets, slices, template instances, invalid bodies) gives nil.
    public init?(unitName: String) {
        let body: Substring
        if unitName.hasSuffix(".service") {
            body = unitName.dropLast(".service".count)
        } else if unitName.hasSuffix(".socket") {
            body = unitName.dropLast(".socket".count)
        } else {
            return nil
        }
        guard body.hasPrefix(Identifier.unitPrefix) else { return nil }
        self.init(rawValue: String(body.dropFirst(Identifier.unitPrefix.count)))
    }

    /// The container a Unix user stands for (geard's `NewIdentifierFromUser`): the login `ctr-<id>`
    /// maps to `<id>`. Any other login gives nil.
    public init?(loginName: String) {
        guard loginName.hasPrefix(Identifier.unitPrefix) else { return nil }
        self.init(rawValue: String(loginName.dropFirst(Identifier.unitPrefix.count)))
    }
}
