import BerthCore
import BerthProtocol
import BerthSystem

/// What a deploy made, kept next to the descriptor so the next deploy changes only what changed.
/// Written atomically after every step, so it never claims more than the nodes have.
public struct DeployState: Codable, Hashable, Sendable {
    public static let currentVersion = 1
    public var version: Int
    /// Sorted by id.
    public var instances: [DeployedInstance]

    public init(instances: [DeployedInstance] = []) {
        self.version = DeployState.currentVersion
        self.instances = instances.sorted { $0.id < $1.id }
    }

    public subscript(id: String) -> DeployedInstance? { instances.first { $0.id == id } }

    /// Adds or replaces the instance with that id.
    public mutating func record(_ instance: DeployedInstance) {
        instances.removeAll { $0.id == instance.id }
        instances.append(instance)
        instances.sort { $0.id < $1.id }
    }

    public mutating func forget(_ id: String) { instances.removeAll { $0.id == id } }

    /// Reads a state file; a missing file is the empty state (the first deploy).
    public static func load(_ path: String) throws(DeployError) -> DeployState {
        let found: [UInt8]?
        do { found = try FileSystem.readIfExists(path, limit: 16 << 20) } catch { throw DeployError("cannot read the state file \(path): \(error)") }
        guard let bytes = found else { return DeployState() }
        let state: DeployState
        do { state = try JSONValueDecoder().decode(DeployState.self, from: try JSONParser.parse(bytes)) } catch {
            throw DeployError("the state file \(path) is not a deploy state: \(DecodingPath.describe(error))")
        }
        guard state.version == currentVersion else {
            throw DeployError("the state file \(path) has version \(state.version); this berth reads version \(currentVersion)")
        }
        return state
    }

    /// Writes the state atomically (temp file, fsync, rename).
    public func save(_ path: String) throws(DeployError) {
        do {
            let value = try JSONValueEncoder().encode(self)
            try FileSystem.writeAtomically(Array((value.description + "\n").utf8), to: path, mode: 0o600)
        } catch { throw DeployError("cannot write the state file \(path): \(error)") }
    }
}

/// One container a deploy installed: what was asked for, what the node allocated, its links.
public struct DeployedInstance: Codable, Hashable, Sendable {
    public var id: String
    public var service: String
    /// The node as the descriptor names it (alias or address).
    public var node: String
    public var spec: InstanceSpec
    /// The ports as the node allocated them.
    public var ports: [PortMapping]
    /// The links as last set, with the targets they were resolved from.
    public var links: [ResolvedDeployLink]
    /// Whether it was started (a failed deploy may leave it installed only).
    public var started: Bool

    public init(id: String, service: String, node: String, spec: InstanceSpec, ports: [PortMapping],
                links: [ResolvedDeployLink] = [], started: Bool = false) {
        self.id = id
        self.service = service
        self.node = node
        self.spec = spec
        self.ports = ports
        self.links = links
        self.started = started
    }
}

/// What an instance is installed with; a change to any of it reinstalls the instance.
public struct InstanceSpec: Codable, Hashable, Sendable {
    public var image: String
    public var command: [String]?
    public var ports: [PortMapping]
    public var environment: [EnvironmentEntry]
    public var restart: RestartPolicy?
    public var limits: ResourceLimits?

    public init(image: String, command: [String]? = nil, ports: [PortMapping] = [], environment: [EnvironmentEntry] = [],
                restart: RestartPolicy? = nil, limits: ResourceLimits? = nil) {
        self.image = image
        self.command = command
        self.ports = ports
        self.environment = environment
        self.restart = restart
        self.limits = limits
    }

    /// The `container.install` params of this spec: the one place the CLI builds them (`berth
    /// install` adds its own options to these, `deploy` sends them as they are).
    public func installParams(id: String) -> ContainerInstallParams {
        var params = ContainerInstallParams(id: id, image: image, command: command, ports: ports.isEmpty ? nil : ports,
                                            environment: environment.isEmpty ? nil : environment)
        params.set(restart: restart, limits: limits)
        return params
    }
}

/// A link by name: from an address of the instance to another instance's internal port.
public struct SymbolicLink: Codable, Hashable, Sendable, CustomStringConvertible {
    public var fromHost: String
    public var fromPort: UInt16
    public var target: String
    public var targetPort: UInt16

    public var description: String {
        "\(NetworkLink.hostPort(fromHost, fromPort)) -> \(target):\(targetPort)"
    }
}

/// A symbolic link and the address it was set to.
public struct ResolvedDeployLink: Codable, Hashable, Sendable {
    public var link: SymbolicLink
    public var toHost: String
    public var toPort: UInt16

    /// The link as `container.links.set` takes it.
    var wire: LinkSpec { LinkSpec(fromHost: link.fromHost, fromPort: link.fromPort, toHost: toHost, toPort: toPort) }
}
