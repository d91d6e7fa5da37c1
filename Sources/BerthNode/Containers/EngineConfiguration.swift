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

    public init(layout: Layout, manager: ServiceManagerHandle, runtime: RuntimeConfiguration,
                portRange: ClosedRange<UInt16> = PortAllocator.defaultRange, durablePorts: Bool = true,
                uidRange: ClosedRange<UInt32> = UIDAllocator.defaultRange) {
        self.uidRange = uidRange
        self.layout = layout
        self.manager = manager
        self.runtime = runtime
        self.portRange = portRange
        self.durablePorts = durablePorts
    }
}
