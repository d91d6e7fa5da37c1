import BerthCore
import BerthProtocol

/// What the node keeps of an installed container: the source of truth its units are rendered from.
/// Stored as `<containersDir>/<id>/container.json`; the values live beside it in `environment`.
public struct ContainerRecord: Codable, Hashable, Sendable {
    public var id: String
    public var image: String
    public var command: [String]
    /// Every external port filled in.
    public var ports: [PortPair]
    /// The variables of the environment file, in order (the names the runtime passes in).
    public var environmentNames: [String]
    public var environmentSource: String?
    public var volumes: [VolumeMount]
    /// A slice unit name (`berth.slice`, ...).
    public var slice: String
    public var requestId: String?
    public var runtime: ContainerRuntime
    /// Socket activation: the loopback port the container publishes each internal port on, keyed
    /// by external port (the host's socket units listen on the external ports). Nil otherwise.
    public var backendPorts: [UInt16: UInt16]?
    /// The install params as given, to tell a retried request from a different one with the same id.
    public var installParams: JSONValue?
    /// `isolate: true`: the uid (also the gid) the container runs as, claimed in `UIDAllocator`.
    /// Nil for a container that is not isolated.
    public var isolatedUID: UInt32?
    /// The runtime network the container is attached to; nil for the runtime's default.
    public var network: String? = nil
    /// The restart policy; nil: none given (systemd's defaults, no restart).
    public var restart: RestartPolicy? = nil
    /// Limits on the container's processes; nil: none.
    public var limits: ResourceLimits? = nil

    enum CodingKeys: String, CodingKey {
        case id, image, command, ports, environmentNames, environmentSource, volumes, slice, requestId, runtime, backendPorts, installParams, isolatedUID, network
        case restart, limits
    }
}
