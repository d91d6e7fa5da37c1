/// Envelope encoding. Written straight to bytes with members in sorted order, matching what
/// `JSONValue.serialize` would produce for the same object without building one.
extension RPCFrame {
    /// Appends one response line (`\n`-terminated) to `out`.
    public static func encode(_ response: RPCResponse, into out: inout [UInt8]) {
        appendResponseObject(response, to: &out)
        out.append(0x0A)
    }

    /// One response line, `\n`-terminated.
    public static func encode(_ response: RPCResponse) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96)
        encode(response, into: &out)
        return out
    }

    /// The reply to a batch: one line holding the array, or nil when there is nothing to send (a batch
    /// of notifications only gets no reply at all).
    public static func encodeBatch(_ responses: [RPCResponse]) -> [UInt8]? {
        guard !responses.isEmpty else { return nil }
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (k, r) in responses.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            appendResponseObject(r, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        out.append(0x0A)
        return out
    }

    /// Appends one request (or notification, when `id` is nil) line to `out`.
    public static func encode(_ request: RPCRequest, into out: inout [UInt8]) {
        appendRequestObject(request, to: &out)
        out.append(0x0A)
    }

    /// One request or notification line, `\n`-terminated.
    public static func encode(_ request: RPCRequest) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96)
        encode(request, into: &out)
        return out
    }

    /// A batch of requests as one line. An empty batch is invalid in JSON-RPC, so it is refused here.
    public static func encodeBatch(_ requests: [RPCRequest]) -> [UInt8] {
        precondition(!requests.isEmpty, "an empty batch is an invalid request")
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (k, r) in requests.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            appendRequestObject(r, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        out.append(0x0A)
        return out
    }

    /// Appends one response object (no newline) to `out`, e.g. to embed it in another message.
    public static func appendResponseObject(_ response: RPCResponse, to out: inout [UInt8]) {
        switch response.outcome {
        case .result(let result):
            JSONWriter.appendLiteral("{\"id\":", to: &out)
            response.id.jsonValue.serialize(into: &out)
            JSONWriter.appendLiteral(",\"jsonrpc\":\"2.0\",\"result\":", to: &out)
            result.serialize(into: &out)
            out.append(UInt8(ascii: "}"))
        case .encodedResult(let result):
            JSONWriter.appendLiteral("{\"id\":", to: &out)
            response.id.jsonValue.serialize(into: &out)
            JSONWriter.appendLiteral(",\"jsonrpc\":\"2.0\",\"result\":", to: &out)
            out.append(contentsOf: result.bytes)
            out.append(UInt8(ascii: "}"))
        case .error(let error):
            JSONWriter.appendLiteral("{\"error\":", to: &out)
            error.jsonValue.serialize(into: &out)
            JSONWriter.appendLiteral(",\"id\":", to: &out)
            response.id.jsonValue.serialize(into: &out)
            JSONWriter.appendLiteral(",\"jsonrpc\":\"2.0\"}", to: &out)
        }
    }

    static func appendRequestObject(_ request: RPCRequest, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        if let id = request.id {
            JSONWriter.appendLiteral("\"id\":", to: &out)
            id.jsonValue.serialize(into: &out)
            out.append(UInt8(ascii: ","))
        }
        JSONWriter.appendLiteral("\"jsonrpc\":\"2.0\",\"method\":", to: &out)
        JSONWriter.appendString(request.method, to: &out)
        if let params = request.params {
            JSONWriter.appendLiteral(",\"params\":", to: &out)
            params.serialize(into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
