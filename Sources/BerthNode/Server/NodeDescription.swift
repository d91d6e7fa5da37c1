import BerthProtocol

/// What `node.hello` and `node.info` say about this node. Parts of the node added later (the container
/// engine) contribute extra `node.info` members through `extraInfo`.
public struct NodeDescription: Sendable {
    public static let version = "0.1.0"

    public var version: String
    public var hostname: String
    public var capabilities: [String]
    public var managerMode: String
    public var runtime: String
    public var stateDirectory: String
    /// The programs the container units run, by role (`RuntimeConfiguration.toolPaths`); empty
    /// leaves `tools` out of `node.info`.
    public var tools: [String: String] = [:]
    /// Extra members merged into the `node.info` result (never replacing the standard ones).
    public var extraInfo: (@Sendable () async -> [String: JSONValue])?
    /// The node's addresses (no loopback); read on each `node.info`, since they can change.
    public var addresses: @Sendable () -> [String]

    public init(version: String = NodeDescription.version, hostname: String = HostFacts.hostname(),
                capabilities: [String] = [Capability.batches, Capability.authHMACSHA256, Capability.socketActivation],
                managerMode: String, runtime: String, stateDirectory: String,
                extraInfo: (@Sendable () async -> [String: JSONValue])? = nil,
                addresses: @escaping @Sendable () -> [String] = HostFacts.addresses) {
        self.version = version
        self.hostname = hostname
        self.capabilities = capabilities
        self.managerMode = managerMode
        self.runtime = runtime
        self.stateDirectory = stateDirectory
        self.extraInfo = extraInfo
        self.addresses = addresses
    }
}
