/// A JSON-RPC 2.0 response: a result or an error, for the request with the same id.
public struct RPCResponse: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        case result(JSONValue)
        /// A result already serialized (`EncodedJSON`); on the wire the same as `.result`.
        case encodedResult(EncodedJSON)
        case error(RPCError)
    }

    /// The request's id; `.null` when it could not be read (parse error, invalid request).
    public var id: RPCID
    public var outcome: Outcome

    public init(id: RPCID, outcome: Outcome) {
        self.id = id
        self.outcome = outcome
    }

    public static func success(id: RPCID, result: JSONValue) -> RPCResponse {
        RPCResponse(id: id, outcome: .result(result))
    }

    public static func failure(id: RPCID, error: RPCError) -> RPCResponse {
        RPCResponse(id: id, outcome: .error(error))
    }

    /// A success response whose result is `result` encoded; an encoding failure becomes `internal`.
    public static func success<R: Encodable>(id: RPCID, encoding result: R) -> RPCResponse {
        do {
            return .success(id: id, result: try JSONValueEncoder().encode(result))
        } catch {
            return .failure(id: id, error: .internal("could not encode the result: \(error)"))
        }
    }

    public var error: RPCError? {
        if case .error(let e) = outcome { return e }
        return nil
    }

    public var result: JSONValue? {
        switch outcome {
        case .result(let r): return r
        case .encodedResult(let e): return try? e.parsed()
        case .error: return nil
        }
    }

    /// The result decoded as `R` (unknown members ignored, so newer nodes can add fields), or the
    /// error the node answered with.
    public func decodeResult<R: Decodable>(_ type: R.Type = R.self) throws(RPCError) -> R {
        switch outcome {
        case .error(let e): throw e
        case .encodedResult(let encoded):
            do {
                return try JSONValueDecoder().decode(R.self, from: try encoded.parsed())
            } catch {
                throw RPCError(.internal, "unexpected result: \(DecodingPath.describe(error))")
            }
        case .result(let value):
            do {
                return try JSONValueDecoder().decode(R.self, from: value)
            } catch {
                throw RPCError(.internal, "unexpected result: \(DecodingPath.describe(error))")
            }
        }
    }
}
