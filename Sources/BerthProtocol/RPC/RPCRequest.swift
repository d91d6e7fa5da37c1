/// A JSON-RPC 2.0 request, or a notification when `id` is nil (a notification gets no reply, not
/// even an error).
public struct RPCRequest: Hashable, Sendable {
    /// nil for a notification; `.null` is a (discouraged, but valid) request id that gets a reply.
    public var id: RPCID?
    public var method: String
    /// `.object` or `.array`, or nil when the request has no `params` member.
    public var params: JSONValue?

    public init(id: RPCID?, method: String, params: JSONValue? = nil) {
        precondition(params == nil || params?.objectValue != nil || params?.arrayValue != nil,
                     "params must be an object or an array")
        self.id = id
        self.method = method
        self.params = params
    }

    /// A request whose params are `params` encoded as an object.
    public init<P: Encodable>(id: RPCID?, method: String, encoding params: P) throws {
        let value = try JSONValueEncoder().encode(params)
        guard value.objectValue != nil || value.arrayValue != nil else {
            throw EncodingError.invalidValue(params, .init(codingPath: [], debugDescription: "params must encode to an object or an array"))
        }
        self.init(id: id, method: method, params: value)
    }

    public var isNotification: Bool { id == nil }

    /// Decodes named params into `T`, refusing members `T` does not know (so a misspelt option is an
    /// error, not silently ignored). Absent params decode like `{}`. Positional params are refused:
    /// every Berth method takes named params. Errors are `invalid_params` naming the parameter.
    public func decodeParams<T: Decodable>(_ type: T.Type = T.self) throws(RPCError) -> T {
        let value: JSONValue
        switch params {
        case nil: value = .object([:])
        case .object?: value = params!
        default: throw RPCError.invalidParams("\(method) takes named parameters (an object), not an array")
        }
        if let direct = T.self as? any DirectParams.Type, case .object(let members) = value,
           let params = direct.direct(members) {
            return params as! T
        }
        do {
            return try JSONValueDecoder(rejectUnknownKeys: true).decode(T.self, from: value)
        } catch {
            throw RPCError.invalidParams(decoding: error)
        }
    }
}
