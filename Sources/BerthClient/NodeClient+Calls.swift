import BerthProtocol

/// Typed calls on a `NodeClient`, all through its one `send`.
extension NodeClient {
    /// Calls `method` and decodes the result. The node's errors are thrown as `RPCError`; transport
    /// failures and timeouts as `ClientError`.
    public func call<P: Encodable & Sendable, R: Decodable>(_ method: String, params: P, as type: R.Type = R.self,
                                                          timeout: Duration? = nil) async throws -> R {
        let value: JSONValue
        do { value = try JSONValueEncoder().encode(params) } catch {
            throw ClientError(.protocolViolation, "cannot encode the params of \(method): \(error)")
        }
        return try Conversation.decode(try await send(method, params: value, timeout: timeout), as: R.self)
    }

    /// Calls a method that takes no params.
    public func call<R: Decodable>(_ method: String, as type: R.Type = R.self, timeout: Duration? = nil) async throws -> R {
        try Conversation.decode(try await send(method, params: nil, timeout: timeout), as: R.self)
    }

    /// One call by method name, decoded; an answer of the wrong shape is a `protocolViolation`
    /// naming the node and method (the commands' wording). The node's errors are thrown as `RPCError`.
    func ask<R: Decodable>(_ method: MethodName, _ params: some Encodable & Sendable, as type: R.Type) async throws -> R {
        let response = try await send(method.rawValue, params: encodeParams(params))
        if let error = response.error { throw error }
        guard let value = response.result else {
            throw ClientError(.protocolViolation, "\(address) answered \(method.rawValue) with a result that is not JSON")
        }
        do { return try JSONValueDecoder().decode(R.self, from: value) } catch {
            throw ClientError(.protocolViolation, "\(address) answered \(method.rawValue) with an unexpected result: \(DecodingPath.describe(error))")
        }
    }

    /// `calls` one after another on this connection, with their round trips.
    func answers(to calls: [PlannedCall]) async throws -> [CallAnswer] {
        let clock = ContinuousClock()
        var answers: [CallAnswer] = []
        for call in calls {
            let start = clock.now
            let response = try await send(call.method, params: call.params)
            answers.append(CallAnswer(call: call, response: response, roundTrip: start.duration(to: clock.now)))
        }
        return answers
    }
}
