/// A change to an environment: names to remove, then variables to set. Other variables stay as they
/// are, in their order.
public struct EnvironmentPatch: Hashable, Sendable, Codable {
    public var set: [EnvironmentVariable]
    public var unset: [String]

    public init(set: [EnvironmentVariable] = [], unset: [String] = []) {
        self.set = set
        self.unset = unset
    }

    enum CodingKeys: String, CodingKey {
        case set
        case unset
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        set = try container.decodeIfPresent([EnvironmentVariable].self, forKey: .set) ?? []
        unset = try container.decodeIfPresent([String].self, forKey: .unset) ?? []
    }

    /// Refuses invalid variables or names, and a name both set and unset (which would be ambiguous).
    public func validate() throws(EnvironmentError) {
        for variable in set { try variable.validate() }
        for name in unset where !EnvironmentVariable.isValidName(name) {
            throw EnvironmentError(reason: "cannot unset invalid name \(String(reflecting: name))")
        }
        let setNames = Swift.Set(set.map(\.name))
        if let both = unset.first(where: setNames.contains) {
            throw EnvironmentError(reason: "\(both) is both set and unset in one patch")
        }
    }
}
