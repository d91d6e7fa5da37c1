/// The role each method needs and whether it changes anything (and so is audited), read from the
/// OpenRPC document's `x-berth-role` and `x-berth-mutates`: the document is the one table, so what
/// `rpc.discover` tells a client is what the node enforces.
public struct MethodAccess: Sendable, Hashable {
    public var role: Role
    public var mutates: Bool

    public init(role: Role, mutates: Bool) {
        self.role = role
        self.mutates = mutates
    }

    /// A method the document does not list (none today): only `admin`, and audited, so a method
    /// added without its entry fails closed.
    public static let undocumented = MethodAccess(role: .admin, mutates: true)

    /// Every documented method's access, parsed once.
    public static let table: [String: MethodAccess] = parse(OpenRPCDocument.value)

    public static func of(_ method: String) -> MethodAccess { table[method] ?? undocumented }

    /// The access of each method in an OpenRPC document; a method without a valid `x-berth-role`
    /// is left out (and so needs `admin`).
    public static func parse(_ document: JSONValue) -> [String: MethodAccess] {
        var table: [String: MethodAccess] = [:]
        for method in document["methods"]?.arrayValue ?? [] {
            guard let name = method["name"]?.stringValue,
                  let role = method["x-berth-role"]?.stringValue.flatMap(Role.init(rawValue:)) else { continue }
            table[name] = MethodAccess(role: role, mutates: method["x-berth-mutates"]?.boolValue ?? false)
        }
        return table
    }
}
