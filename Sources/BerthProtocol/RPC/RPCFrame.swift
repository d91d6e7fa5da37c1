/// One member of a batch: a request to run, or an invalid member already answered.
public enum RPCIncoming: Hashable, Sendable {
    case request(RPCRequest)
    case invalid(RPCResponse)
}

/// What one line from a client asks for.
public enum RPCDecoded: Hashable, Sendable {
    /// A blank line: nothing to do, nothing to reply.
    case ignore
    /// The line is answered without dispatch (parse error, invalid request, empty batch).
    case reply(RPCResponse)
    /// One request or notification.
    case request(RPCRequest)
    /// A non-empty batch, in order. Reply with the responses of its requests and invalid members as one
    /// array (see `RPCFrame.encodeBatch`), or nothing when there are none.
    case batch([RPCIncoming])
}

/// What one line from a node carries.
public enum RPCFromNode: Hashable, Sendable {
    case response(RPCResponse)
    case batch([RPCResponse])
    /// A notification the node sends on its own (events).
    case notification(RPCRequest)
}

/// Line <-> message conversion, pure and allocation-light: the node's per-request path is
/// framer -> `decode` -> dispatch -> `encode(_:into:)`.
public enum RPCFrame {
    /// Reads one line (without its `\n`) from a client.
    public static func decode(_ line: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth) -> RPCDecoded {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) { return .ignore }
        let value: JSONValue
        do {
            value = try JSONParser.parse(line, maxDepth: maxDepth)
        } catch {
            return .reply(.failure(id: .null, error: .parseError(error)))
        }
        if case .array(let members) = value {
            if members.isEmpty { return .reply(.failure(id: .null, error: .invalidRequest("an empty batch"))) }
            return .batch(members.map(request(from:)))
        }
        switch request(from: value) {
        case .request(let r): return .request(r)
        case .invalid(let response): return .reply(response)
        }
    }

    public static func decode(_ line: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) -> RPCDecoded {
        line.withUnsafeBufferPointer { decode($0, maxDepth: maxDepth) }
    }

    public static func decode(_ line: String, maxDepth: Int = JSONParser.defaultMaxDepth) -> RPCDecoded {
        decode(Array(line.utf8), maxDepth: maxDepth)
    }

    /// Validates one request object; an invalid one is answered with `invalid_request`, echoing its
    /// id when the id itself is well-formed.
    static func request(from value: JSONValue) -> RPCIncoming {
        guard case .object(let members) = value else {
            return .invalid(.failure(id: .null, error: .invalidRequest("expected a request object, found \(value.kindName)")))
        }
        var id: RPCID?
        if let rawID = members["id"] {
            guard let parsed = RPCID(jsonValue: rawID) else {
                return .invalid(.failure(id: .null, error: .invalidRequest("id must be a string, a number or null, found \(rawID.kindName)")))
            }
            id = parsed
        }
        let replyID = id ?? .null
        guard case .string("2.0")? = members["jsonrpc"] else {
            return .invalid(.failure(id: replyID, error: .invalidRequest("member \"jsonrpc\" must be exactly \"2.0\"")))
        }
        guard case .string(let method)? = members["method"] else {
            let found = members["method"].map { $0.kindName } ?? "nothing"
            return .invalid(.failure(id: replyID, error: .invalidRequest("member \"method\" must be a string, found \(found)")))
        }
        let params = members["params"]
        switch params {
        case nil, .object?, .array?: break
        case let other?:
            return .invalid(.failure(id: replyID, error: .invalidRequest("member \"params\" must be an object or an array, found \(other.kindName)")))
        }
        return .request(RPCRequest(id: id, method: method, params: params))
    }

    /// Reads one line from a node: a response, a batch of responses, or a notification.
    public static func decodeFromNode(_ line: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth) throws(RPCError) -> RPCFromNode {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line, maxDepth: maxDepth)
        } catch {
            throw RPCError.parseError(error)
        }
        if case .array(let members) = value {
            var responses: [RPCResponse] = []
            responses.reserveCapacity(members.count)
            for m in members { responses.append(try response(from: m)) }
            return .batch(responses)
        }
        if case .object(let members) = value, members["method"] != nil, members["result"] == nil, members["error"] == nil {
            switch request(from: value) {
            case .request(let r): return .notification(r)
            case .invalid(let response): throw response.error ?? .invalidRequest("malformed notification")
            }
        }
        return .response(try response(from: value))
    }

    public static func decodeFromNode(_ line: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) throws(RPCError) -> RPCFromNode {
        try line.withUnsafeBufferPointer { (buffer) throws(RPCError) -> RPCFromNode in try decodeFromNode(buffer, maxDepth: maxDepth) }
    }

    /// Reads one response object (already parsed): what `decodeFromNode` does for each response.
    public static func response(from value: JSONValue) throws(RPCError) -> RPCResponse {
        guard case .object(let members) = value else {
            throw RPCError.invalidRequest("expected a response object, found \(value.kindName)")
        }
        guard case .string("2.0")? = members["jsonrpc"] else {
            throw RPCError.invalidRequest("response member \"jsonrpc\" must be exactly \"2.0\"")
        }
        guard let rawID = members["id"], let id = RPCID(jsonValue: rawID) else {
            throw RPCError.invalidRequest("response without a valid id")
        }
        switch (members["result"], members["error"]) {
        case (let result?, nil): return .success(id: id, result: result)
        case (nil, let error?): return .failure(id: id, error: try RPCError(jsonValue: error))
        default: throw RPCError.invalidRequest("a response must have exactly one of \"result\" and \"error\"")
        }
    }
}
