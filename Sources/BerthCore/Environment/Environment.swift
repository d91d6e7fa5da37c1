import BerthProtocol

/// A container's environment: variables in order, each name at most once. Replacing a name keeps its
/// position (as systemd does when a name repeats), new names go to the end.
public struct Environment: Hashable, Sendable {
    public private(set) var variables: [EnvironmentVariable]
    /// The environment's size as a process gets it: NAME=VALUE's UTF-8 bytes plus a NUL, summed.
    public private(set) var byteCount: Int

    /// The most variables one environment holds (the contract's bound).
    public static let maxVariables = ContractLimits.environmentVariables
    /// The largest `byteCount`: the container is started with this environment, and execve takes
    /// at most 2 MiB of it and the command line together (see `ContractLimits`).
    public static let maxBytes = ContractLimits.environmentBytes

    /// An empty environment.
    public init() {
        variables = []
        byteCount = 0
    }

    /// Builds an environment from `variables`. A repeated name keeps its first position and takes its
    /// last value ("last wins"). Throws for an invalid variable or more than `maxVariables`.
    public init(_ variables: [EnvironmentVariable]) throws(EnvironmentError) {
        self.init()
        for variable in variables { try set(variable) }
    }

    /// The value of `name`, or nil.
    public subscript(name: String) -> String? {
        variables.first { $0.name == name }?.value
    }

    public var names: [String] { variables.map(\.name) }
    public var isEmpty: Bool { variables.isEmpty }
    public var count: Int { variables.count }

    /// Sets one variable: replaces the value in place, or appends. Throws, changing nothing, when
    /// the result would pass `maxVariables` or `maxBytes`.
    public mutating func set(_ variable: EnvironmentVariable) throws(EnvironmentError) {
        try variable.validate()
        let index = variables.firstIndex(where: { $0.name == variable.name })
        let size = byteCount - (index.map { Environment.size(of: variables[$0]) } ?? 0) + Environment.size(of: variable)
        if index == nil && variables.count >= Environment.maxVariables {
            throw EnvironmentError(reason: "more than \(Environment.maxVariables) variables")
        }
        if size > Environment.maxBytes {
            throw EnvironmentError(reason: "larger than \(Environment.maxBytes) bytes in all (NAME=VALUE and a NUL per variable) with \(variable.name)")
        }
        if let index { variables[index].value = variable.value } else { variables.append(variable) }
        byteCount = size
    }

    /// Removes `name`; returns whether it was there.
    @discardableResult
    public mutating func unset(_ name: String) -> Bool {
        guard let i = variables.firstIndex(where: { $0.name == name }) else { return false }
        byteCount -= Environment.size(of: variables[i])
        variables.remove(at: i)
        return true
    }

    /// What `variable` adds to `byteCount`.
    static func size(of variable: EnvironmentVariable) -> Int { variable.name.utf8.count + variable.value.utf8.count + 2 }

    /// This environment with `patch` applied (unsets first, then sets), or an error and no change.
    public func applying(_ patch: EnvironmentPatch) throws(EnvironmentError) -> Environment {
        try patch.validate()
        var result = self
        for name in patch.unset { result.unset(name) }
        for variable in patch.set { try result.set(variable) }
        return result
    }

    /// The variables as a dictionary (geard's `Map`).
    public var dictionary: [String: String] {
        Dictionary(variables.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }
}

/// An environment travels as a JSON array of `{"name", "value"}` objects, in order. Decoding applies
/// `init(_:)`, so duplicates collapse and invalid variables are refused.
extension Environment: Codable {
    public init(from decoder: any Decoder) throws {
        self = try decoder.singleValueContainer().decode([EnvironmentVariable].self) { try Environment($0) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(variables)
    }
}
