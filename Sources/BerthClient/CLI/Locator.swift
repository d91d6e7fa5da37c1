/// A container on the command line: `ID`, or `NODE/ID` where NODE is an alias or a node address
/// (split at the last `/`, since ids never contain one and unix: paths do).
struct Locator: Hashable, Sendable, CustomStringConvertible {
    var node: String?
    var id: String

    init(parsing text: String) throws(UsageError) {
        if let slash = text.lastIndex(of: "/") {
            let node = String(text[..<slash])
            let id = String(text[text.index(after: slash)...])
            guard !node.isEmpty else { throw UsageError("\(String(reflecting: text)): NODE/ID needs a node before the '/'") }
            guard !id.isEmpty else { throw UsageError("\(String(reflecting: text)): NODE/ID needs a container id after the '/'") }
            self.node = node
            self.id = id
        } else {
            self.id = text
        }
    }

    init(node: String?, id: String) {
        self.node = node
        self.id = id
    }

    var description: String { node.map { "\($0)/\(id)" } ?? id }

    /// The node of a `NODE/ID` locator; errors name the locator.
    func resolve(_ directory: inout NodeDirectory) throws(UsageError) -> NodeTarget {
        guard let node else { throw UsageError("\(String(reflecting: id)) names no node") }
        do { return try directory.resolve(node) } catch { throw UsageError("\(description): \(error.message)") }
    }

    /// Checks the id (and that the node is at least a plausible address or alias).
    func validate() throws(UsageError) {
        try ContainerID.validate(id)
        if let node, !NodeTarget.looksLikeAddress(node), !NodeAliases.isValidName(node) {
            throw UsageError("\(String(reflecting: description)): \(String(reflecting: node)) is neither a node address nor an alias name")
        }
    }
}
