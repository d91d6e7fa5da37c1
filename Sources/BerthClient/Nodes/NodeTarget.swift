/// A node a command talks to: its address, the name it was given on the command line, and its own
/// secret file and reach host when it came from an alias.
public struct NodeTarget: Hashable, Sendable, CustomStringConvertible {
    /// The alias, or the address text.
    public var name: String
    public var address: NodeAddress
    public var secretFile: String?
    public var host: String?

    public init(name: String, address: NodeAddress, secretFile: String? = nil, host: String? = nil) {
        self.name = name
        self.address = address
        self.secretFile = secretFile
        self.host = host
    }

    public var description: String { name == address.description ? name : "\(name) (\(address))" }

    /// Whether `text` names a node by address (rather than by alias).
    public static func looksLikeAddress(_ text: String) -> Bool {
        text.hasPrefix("unix:") || text.hasPrefix("tcp://") || text.hasPrefix("ssh://") || text.hasPrefix("/")
    }
}

/// Turns what the user wrote (an address or an alias of the node config) into targets; reads the
/// config file only when an alias needs it.
public struct NodeDirectory: Sendable {
    private let environment: [String: String]
    private var loaded: NodeAliases?

    public init(environment: [String: String], aliases: NodeAliases? = nil) {
        self.environment = environment
        self.loaded = aliases
    }

    /// The target `text` names; unknown aliases and bad addresses are errors naming `text`.
    public mutating func resolve(_ text: String) throws(NodeAliasError) -> NodeTarget {
        if NodeTarget.looksLikeAddress(text) {
            do {
                let address = try NodeAddress(parsing: text)
                return NodeTarget(name: address.description, address: address)
            } catch { throw NodeAliasError(error.description) }
        }
        guard NodeAliases.isValidName(text) else {
            throw NodeAliasError("\(String(reflecting: text)) is neither a node address (unix:PATH, tcp://HOST:PORT, ssh://[USER@]HOST[:PORT]) nor an alias name")
        }
        if loaded == nil { loaded = try NodeAliases.load(environment: environment) }
        guard let alias = loaded?.aliases[text] else {
            let file = NodeAliases.path(environment: environment)?.path ?? "~/.config/berth/nodes"
            throw NodeAliasError("unknown node \(String(reflecting: text)): not an address, and no alias of that name in \(file)")
        }
        return alias
    }
}
