import BerthCore

/// Everything the engine needs to know about its host.
public struct EngineConfiguration: Sendable {
    public var layout: Layout
    public var manager: ServiceManagerHandle
    public var runtime: RuntimeConfiguration
    public var portRange: ClosedRange<UInt16>
    /// fsync port and uid claims (off only for throwaway benchmark state).
    public var durablePorts: Bool
    /// The uids (and gids) isolated containers run as, one each.
    public var uidRange: ClosedRange<UInt32>
    /// How links resolve (the host addresses loopback targets mean) and are applied.
    public var links: ContainerLinks
    /// The command a container's unit runs as `ExecStartPost=` to apply its stored links before it
    /// counts as started (berthd's own executable and `links-apply`; see `LinkApplyCommand`). Nil:
    /// this engine cannot serve links, and installing or setting any is refused.
    public var linkApplier: [String]?
    /// The environment the node runs the runtime CLI with to find a container's process (`PATH`,
    /// and `CONTAINERS_CONF` when the units' podman gets one through the manager).
    public var runtimeEnvironment: [String: String] = LinkApplier.defaultEnvironment
    /// A container whose unit has no readiness signal (docker's attached shape) counts as started
    /// only if it still runs this long after the runtime first reported it running (`launch`).
    public var startSettle: Duration = .seconds(1)
    /// The longest a start waits for such a container to run (the units' `TimeoutStartSec=`:
    /// the first start may pull the image).
    public var startTimeout: Duration = .seconds(300)
    /// The bound of each of a container's log files (`ContainerLogFiles`).
    public var logMaxBytes: Int64 = ContainerLogFiles.defaultMaxBytes

    public init(layout: Layout, manager: ServiceManagerHandle, runtime: RuntimeConfiguration,
                portRange: ClosedRange<UInt16> = PortAllocator.defaultRange, durablePorts: Bool = true,
                uidRange: ClosedRange<UInt32> = UIDAllocator.defaultRange,
                links: ContainerLinks = ContainerLinks(), linkApplier: [String]? = nil) {
        self.links = links
        self.linkApplier = linkApplier
        self.uidRange = uidRange
        self.layout = layout
        self.manager = manager
        self.runtime = runtime
        self.portRange = portRange
        self.durablePorts = durablePorts
    }
}
