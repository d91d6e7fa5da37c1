/// One reserved host port: the file `<portsDir>/<external>` holds this, as JSON.
public struct PortReservation: Hashable, Sendable, Codable {
    public var owner: Identifier
    public var `internal`: UInt16
    public var external: UInt16

    public init(owner: Identifier, internal: UInt16, external: UInt16) {
        self.owner = owner
        self.internal = `internal`
        self.external = external
    }

    enum CodingKeys: String, CodingKey {
        case owner
        case `internal`
        case external
    }

    public var pair: PortPair { PortPair(internal: self.internal, external: external) }
}
