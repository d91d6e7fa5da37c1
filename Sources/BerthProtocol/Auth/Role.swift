/// What a connection may do. Each role includes the ones below it: `admin` > `operate` > `read`.
///
/// `read` sees the node's state (list, status, ports, links, logs, events) but not environment
/// values: those are where applications keep their secrets, so `container.env.get` needs `admin`.
/// `operate` also starts, stops and restarts containers. `admin` may do everything, including
/// installing (which chooses what runs, as root) and changing environments and links.
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case read, operate, admin

    private var rank: Int {
        switch self {
        case .read: 0
        case .operate: 1
        case .admin: 2
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }

    /// Whether a connection with this role may call a method that requires `required`.
    public func allows(_ required: Role) -> Bool { self >= required }

    public var description: String { rawValue }

    /// The words a configuration may use, for messages.
    public static let spellings = Role.allCases.map(\.rawValue).joined(separator: "|")
}
