/// The environment requested for a container: explicit variables, optionally on top of variables
/// fetched from a `source` URL (http or https only), and the container they are for.
public struct EnvironmentDescription: Hashable, Sendable {
    public var variables: Environment
    /// An http(s) URL whose body, in EnvironmentFile syntax, supplies variables.
    public var source: String?
    /// The container the environment is for (set on creation).
    public var id: Identifier?

    public init(variables: Environment = Environment(), source: String? = nil, id: Identifier? = nil) {
        self.variables = variables
        self.source = source
        self.id = id
    }

    /// Nothing to apply: no variables and no source.
    public var isEmpty: Bool { variables.isEmpty && (source ?? "").isEmpty }

    /// Refuses a source that is not an absolute http or https URL. (Variables are valid by
    /// construction of `Environment`.)
    public func validate() throws(EnvironmentError) {
        guard let source, !source.isEmpty else { return }
        try EnvironmentDescription.validateSource(source)
    }

    /// Throws unless `source` is `http://host...` or `https://host...` without blanks or controls.
    public static func validateSource(_ source: String) throws(EnvironmentError) {
        let lower = source.lowercased()
        let rest: Substring
        if lower.hasPrefix("http://") { rest = lower.dropFirst(7) } else if lower.hasPrefix("https://") {
            rest = lower.dropFirst(8)
        } else {
            throw EnvironmentError(reason: "source \(String(reflecting: source)) must be an http:// or https:// URL")
        }
        if rest.isEmpty || rest.hasPrefix("/") {
            throw EnvironmentError(reason: "source \(String(reflecting: source)) has no host")
        }
        if source.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            throw EnvironmentError(reason: "source \(String(reflecting: source)) contains blanks or control characters")
        }
    }

    /// The environment to write: the source's variables (fetched with `fetcher`) with the explicit
    /// variables applied on top, so an explicit value always wins.
    public func resolve(using fetcher: EnvironmentFetcher = EnvironmentFetcher()) async throws -> Environment {
        try validate()
        guard let source, !source.isEmpty else { return variables }
        var result = try await fetcher.fetch(source)
        for variable in variables.variables { try result.set(variable) }
        return result
    }
}

extension EnvironmentDescription: Codable {
    enum CodingKeys: String, CodingKey {
        case variables
        case source
        case id
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        variables = try container.decodeIfPresent(Environment.self, forKey: .variables) ?? Environment()
        source = try container.decodeIfPresent(String.self, forKey: .source)
        id = try container.decodeIfPresent(Identifier.self, forKey: .id)
        try container.check(at: .source) { try validate() }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(variables, forKey: .variables)
        try container.encodeIfPresent(source, forKey: .source)
        try container.encodeIfPresent(id, forKey: .id)
    }
}
