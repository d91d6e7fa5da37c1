/// An identifier travels as a plain JSON string; decoding applies the same rule as `init(_:)`, so a
/// hostile document can never produce an identifier the rule forbids.
extension Identifier: Codable {
    public init(from decoder: any Decoder) throws {
        self = try decoder.singleValueContainer().decode(String.self) { try Identifier($0) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
