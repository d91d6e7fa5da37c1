/// A change of one container's state, as the node reports it.
public struct ContainerEvent: Hashable, Sendable, Codable, CustomStringConvertible {
    public var id: Identifier
    public var type: EventType

    public init(id: Identifier, type: EventType) {
        self.id = id
        self.type = type
    }

    enum CodingKeys: String, CodingKey {
        case id
        case type
    }

    public var description: String { "\(id) \(type.rawValue)" }
}
