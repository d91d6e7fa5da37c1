import BerthCore
import BerthProtocol

/// One service of a descriptor: `count` containers of one image.
public struct DeployService: Codable, Hashable, Sendable {
    public var image: String
    /// How many containers (default 1; 0 removes them all).
    public var count: Int?
    public var command: [String]?
    /// Published container ports; the host port is allocated by each node unless `external` is given.
    public var ports: [PortMapping]?
    public var environment: [String: String]?
    public var links: [DeployLink]?
    /// Explicit placement: instance N goes on nodes[N mod nodes.count]. Default: the top-level nodes.
    public var nodes: [String]?
    /// The restart policy and limits, as `container.install` takes them (same names, same rules).
    public var restart: String?
    public var restartDelaySeconds: Double?
    public var restartBurst: Int?
    public var restartIntervalSeconds: Int?
    public var memory: Int?
    public var memorySwap: Int?
    public var cpus: Double?
    public var pids: Int?

    public init(image: String, count: Int? = nil, command: [String]? = nil, ports: [PortMapping]? = nil,
                environment: [String: String]? = nil, links: [DeployLink]? = nil, nodes: [String]? = nil) {
        self.image = image
        self.count = count
        self.command = command
        self.ports = ports
        self.environment = environment
        self.links = links
        self.nodes = nodes
    }

    enum CodingKeys: String, CodingKey {
        case image, count, command, ports, environment, links, nodes
        case restart, restartDelaySeconds, restartBurst, restartIntervalSeconds, memory, memorySwap, cpus, pids
    }

    public var instances: Int { count ?? 1 }

    /// The environment as wire entries, sorted by name.
    var environmentEntries: [EnvironmentEntry] {
        (environment ?? [:]).sorted { $0.key < $1.key }.map { EnvironmentEntry(name: $0.key, value: $0.value) }
    }

    func validate(at: String) throws(DeployError) {
        do { try ImageReference.validate(image) } catch { throw DeployError("\(at).image: \(error.description)") }
        guard (0...1000).contains(instances) else { throw DeployError("\(at).count: must be from 0 to 1000, got \(instances)") }
        if let command, command.isEmpty { throw DeployError("\(at).command: must not be empty (leave it out instead)") }
        do {
            try (ports ?? []).map(PortPair.init(wire:)).validate()
        } catch { throw DeployError("\(at).ports: \(error.reason)") }
        for (name, value) in environment ?? [:] {
            do { try EnvironmentVariable(name: name, value: value).validate() } catch {
                throw DeployError("\(at).environment.\(name): \(error.description)")
            }
        }
        for node in nodes ?? [] { try DeployDescriptor.checkNode(node, what: "\(at).nodes") }
        do {
            _ = try checkedRestartPolicy()
            _ = try checkedLimits()
        } catch { throw DeployError("\(at).\(error.field): \(error.value) \(error.reason)") }
        for (index, link) in (links ?? []).enumerated() {
            if link.port == 0 { throw DeployError("\(at).links[\(index)].port: must be from 1 to 65535") }
            if let text = link.as, LinkTarget.parseSource(text) == nil {
                throw DeployError("\(at).links[\(index)].as: expected ADDR:PORT with an IP address ([v6]:PORT), got \(String(reflecting: text))")
            }
        }
    }
}

/// A link from every instance of a service to an instance of another: instance N of the source
/// reaches instance N mod count of `to`, on its internal `port`, at `as` (default 127.0.0.1:port).
public struct DeployLink: Codable, Hashable, Sendable {
    public var to: String
    public var port: UInt16
    public var `as`: String?

    public init(to: String, port: UInt16, as source: String? = nil) {
        self.to = to
        self.port = port
        self.as = source
    }

    enum CodingKeys: String, CodingKey { case to, port, `as` }

    /// Where the source connects.
    var source: (host: String, port: UInt16) {
        self.as.flatMap(LinkTarget.parseSource) ?? ("127.0.0.1", port)
    }
}

/// The restart and limit members, named and checked as `container.install` takes them.
extension DeployService: RestartAndLimitMembers {}
