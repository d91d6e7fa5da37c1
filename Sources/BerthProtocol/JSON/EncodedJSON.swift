/// A JSON text already serialized, for results written straight to bytes (a `container.list` of
/// thousands of containers) instead of built as a `JSONValue` and serialized on every call.
///
/// Only code that produces the serializer's own canonical form makes one: `init(encoding:)` goes
/// through `JSONValueEncoder` and `JSONValue.serialize`, and the composing initializers only join such
/// texts. So a reader of the wire cannot tell an encoded result from a serialized `JSONValue`.
public struct EncodedJSON: Hashable, Sendable {
    public let bytes: [UInt8]

    /// The canonical serialized form of `value`.
    public init(encoding value: some Encodable) throws {
        bytes = try JSONValueEncoder().encode(value).serialized()
    }

    /// `{"key":[e0,e1,...]}`: one member holding an array of already encoded elements.
    public init(member key: String, array elements: some Collection<EncodedJSON>) {
        var out: [UInt8] = []
        out.reserveCapacity(key.utf8.count + 8 + elements.reduce(0) { $0 + $1.bytes.count + 1 })
        out.append(UInt8(ascii: "{"))
        JSONWriter.appendString(key, to: &out)
        JSONWriter.appendLiteral(":[", to: &out)
        var first = true
        for element in elements {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: element.bytes)
        }
        JSONWriter.appendLiteral("]}", to: &out)
        bytes = out
    }

    /// The text parsed back, for callers in the same process and for tests.
    public func parsed() throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(bytes)
    }
}
