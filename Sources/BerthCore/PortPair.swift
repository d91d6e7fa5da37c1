/// A container's internal port and the host's external port it is published on.
/// `external == 0` means "allocate one from the node's range".
public struct PortPair: Hashable, Sendable {
    public var `internal`: UInt16
    public var external: UInt16
    public init(internal: UInt16, external: UInt16) {
        self.internal = `internal`
        self.external = external
    }
}

/// An ordered list of port pairs; text form `i:e,i:e`.
public typealias PortPairs = [PortPair]
