import BerthCore
import BerthProtocol

/// What `berth deploy` reads: an application as named services, each a number of identical
/// containers placed round robin on nodes (docs/deploy.md, Protocol/deploy.schema.json).
public struct DeployDescriptor: Codable, Hashable, Sendable {
    /// Prefix of every container id (`NAME-SERVICE-N`); without it ids are `SERVICE-N`.
    public var name: String?
    /// Where services without their own `nodes` go: aliases or node addresses.
    public var nodes: [String]?
    public var services: [String: DeployService]

    public init(name: String? = nil, nodes: [String]? = nil, services: [String: DeployService]) {
        self.name = name
        self.nodes = nodes
        self.services = services
    }

    enum CodingKeys: String, CodingKey { case name, nodes, services }

    /// Parses and validates a descriptor; errors name the field.
    /// `nodesGiven`: nodes come from the command line, so services need none of their own.
    public static func parse(_ bytes: [UInt8], nodesGiven: Bool = false) throws(DeployError) -> DeployDescriptor {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw DeployError("the descriptor is not valid JSON: \(error)") }
        let descriptor: DeployDescriptor
        do { descriptor = try JSONValueDecoder(rejectUnknownKeys: true).decode(DeployDescriptor.self, from: value) } catch {
            throw DeployError("the descriptor: \(DecodingPath.describe(error))")
        }
        try descriptor.validate(nodesGiven: nodesGiven)
        return descriptor
    }

    /// Every rule a node would check, plus the descriptor's own: link targets exist and publish the
    /// port, ids fit, every service has nodes.
    public func validate(nodesGiven: Bool = false) throws(DeployError) {
        if let name { try DeployDescriptor.checkName(name, what: "name") }
        if services.isEmpty { throw DeployError("services: at least one service is needed") }
        for node in nodes ?? [] { try DeployDescriptor.checkNode(node, what: "nodes") }
        for (serviceName, service) in services.sorted(by: { $0.key < $1.key }) {
            let at = "services.\(serviceName)"
            try DeployDescriptor.checkName(serviceName, what: at)
            try service.validate(at: at)
            let placement = service.nodes ?? nodes ?? []
            if service.instances > 0 && placement.isEmpty && !nodesGiven {
                throw DeployError("\(at): no nodes to place it on (give nodes here, at the top level, or --node)")
            }
            let longest = instanceID(serviceName, index: max(service.instances, 1) - 1)
            if longest.utf8.count > Identifier.maxLength {
                throw DeployError("\(at): the container id \(longest) is longer than \(Identifier.maxLength) characters")
            }
            var sources = Set<String>()
            for (index, link) in (service.links ?? []).enumerated() {
                let where_ = "\(at).links[\(index)]"
                guard let target = services[link.to] else { throw DeployError("\(where_): no service \(String(reflecting: link.to))") }
                guard target.instances > 0 else { throw DeployError("\(where_): \(link.to) has count 0, nothing to link to") }
                guard (target.ports ?? []).contains(where: { $0.internal == link.port }) else {
                    throw DeployError("\(where_): \(link.to) does not publish port \(link.port) (add it to its ports)")
                }
                let source = link.source
                guard sources.insert("\(source.host):\(source.port)").inserted else {
                    throw DeployError("\(where_): two links from \(source.host):\(source.port)")
                }
            }
        }
    }

    /// The id of instance `index` (0-based) of `service`.
    public func instanceID(_ service: String, index: Int) -> String {
        (name.map { $0 + "-" } ?? "") + service + "-\(index + 1)"
    }

    static func checkName(_ name: String, what: String) throws(DeployError) {
        do { try Identifier.validate(name) } catch { throw DeployError("\(what): \(error.description)") }
    }

    static func checkNode(_ node: String, what: String) throws(DeployError) {
        if NodeTarget.looksLikeAddress(node) {
            do { _ = try NodeAddress(parsing: node) } catch { throw DeployError("\(what): \(error.description)") }
        } else if !NodeAliases.isValidName(node) {
            throw DeployError("\(what): \(String(reflecting: node)) is neither a node address nor an alias name")
        }
    }
}

/// A deploy descriptor or state that is wrong, or a deploy that failed; the message says where.
public struct DeployError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
