/// A JSON-RPC error object: `{"code", "message", "data": {"kind", ...details}}`.
///
/// `kind` is the stable word clients branch on, `message` is for people (say what was wrong and what to
/// do), and `details` holds the kind's structured extras (`supported` for `unsupported_version`,
/// `path` for `invalid_params`, ...). The code follows from the kind unless set explicitly.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    public var kind: ErrorKind
    public var message: String
    /// Members of `data` besides `kind`.
    public var details: [String: JSONValue]

    public init(_ kind: ErrorKind, _ message: String, details: [String: JSONValue] = [:], code: Int? = nil) {
        self.kind = kind
        self.message = message
        self.details = details
        self.code = code ?? kind.code
    }

    public var description: String { "\(kind.rawValue) (\(code)): \(message)" }

    /// The `data` member as sent.
    public var data: JSONValue {
        var members = details
        members["kind"] = .string(kind.rawValue)
        return .object(members)
    }

    /// The wire form of the error object.
    public var jsonValue: JSONValue {
        .object(["code": .int(Int64(code)), "message": .string(message), "data": data])
    }

    /// Reads an error object. Tolerates a peer that sends no `data.kind` (kind from the code) but
    /// requires `code` and `message`.
    public init(jsonValue: JSONValue) throws(RPCError) {
        guard case .object(let members) = jsonValue,
              let code = members["code"]?.intValue, let int = Int(exactly: code),
              let message = members["message"]?.stringValue
        else { throw RPCError(.invalidRequest, "malformed error object: \(jsonValue)") }
        var details = members["data"]?.objectValue ?? [:]
        let kind = details.removeValue(forKey: "kind")?.stringValue.map(ErrorKind.init(rawValue:)) ?? ErrorKind.forCode(int)
        if let data = members["data"], data.objectValue == nil { details["value"] = data }
        self.init(kind, message, details: details, code: int)
    }
}

extension RPCError {
    public static func parseError(_ error: JSONParseError) -> RPCError {
        RPCError(.parseError, "Parse error: \(error)", details: ["offset": .int(Int64(error.offset))])
    }

    public static func invalidRequest(_ why: String) -> RPCError {
        RPCError(.invalidRequest, "Invalid Request: \(why)")
    }

    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(.methodNotFound, "Method not found: \(String(reflecting: method)) is not a method of this node (rpc.discover lists them)",
                 details: ["method": .string(method)])
    }

    /// Invalid params, from a message naming the parameter.
    public static func invalidParams(_ why: String, path: String? = nil) -> RPCError {
        var details: [String: JSONValue] = [:]
        if let path { details["path"] = .string(path) }
        return RPCError(.invalidParams, "Invalid params: \(why)", details: details)
    }

    /// Invalid params from a decoding failure, naming the offending path.
    public static func invalidParams(decoding error: any Error) -> RPCError {
        var path: String?
        if let error = error as? DecodingError {
            switch error {
            case .keyNotFound(let key, let c): path = DecodingPath.render(c.codingPath + [key])
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): path = DecodingPath.render(c.codingPath)
            @unknown default: break
            }
        }
        return invalidParams(DecodingPath.describe(error), path: path?.isEmpty == true ? nil : path)
    }

    public static func `internal`(_ why: String) -> RPCError {
        RPCError(.internal, "Internal error: \(why)")
    }

    public static func lineTooLong(limit: Int) -> RPCError {
        RPCError(.lineTooLong, "line longer than \(limit) bytes; the connection will be closed",
                 details: ["limit": .int(Int64(limit))])
    }

    public static func unauthorized(_ why: String) -> RPCError {
        RPCError(.unauthorized, why)
    }
}
