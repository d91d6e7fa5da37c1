import BerthCore
import BerthProtocol
import BerthSystem

/// Idempotent mutations: every mutation with a `requestId` runs through `once`, the one place that
/// answers a retry from the request log (`RequestLog`, kept as `RequestJournal` says).
extension ContainerEngine {
    /// Runs the mutation `method` at most once per `requestId`. Without one, it just runs `body`.
    /// With one: a record of the same id answers instead (the stored result when method and params
    /// are the same, `conflict` when they differ), else `body` runs and its result is recorded
    /// (fsynced) before it is answered. Errors are not recorded: a failed request may be retried
    /// with its id and acts again. The id's lock is held throughout, so a retry that races the
    /// first attempt waits for it and answers its result.
    func once<R: Codable & Sendable>(_ method: MethodName, _ params: some Encodable, requestId: String?,
                                     _ body: () async throws -> R) async throws -> R {
        guard let requestId else { return try await body() }  // nothing to encode
        return try await once(method, encoded: try JSONValueEncoder().encode(params), requestId: requestId, body)
    }

    /// `once` with the params already encoded (an install keeps them in its record too, so they are
    /// encoded once for both).
    func once<R: Codable & Sendable>(_ method: MethodName, encoded params: JSONValue, requestId: String?,
                                     _ body: () async throws -> R) async throws -> R {
        guard let requestId else { return try await body() }
        try InstallValidation.requestId(requestId)
        return try await withLock(.request(requestId)) {
            if let previous: R = try requests.answer(requestId, method: method, params: params) { return previous }
            let result = try await body()
            let entry = try requests.entry(requestId, method: method, params: params, result: result)
            try await ContainerEngine.blocking { try entry.write() }
            return result
        }
    }
}
