/// What happened to a container. Raw values are the wire form. A value this version does not know
/// decodes as `.unknown`, so older clients keep working when newer nodes add kinds.
public enum EventType: String, Hashable, Sendable, CaseIterable, Codable {
    case installed
    case started
    case idled
    case stopped
    case deleted
    case errored
    case unknown

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        self = EventType(rawValue: raw) ?? .unknown
    }
}
