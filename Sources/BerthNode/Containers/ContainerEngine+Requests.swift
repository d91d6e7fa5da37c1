#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthProtocol
import BerthSystem

/// Idempotent mutations: every mutation with a `requestId` runs through `once`, the one place that
/// answers a retry from its record (`<stateDir>/requests/`, kept as `RequestJournal` says).
extension ContainerEngine {
    /// Runs the mutation `method` at most once per `requestId`. Without one, it just runs `body`.
    /// With one: a record of the same id answers instead (the stored result when method and params
    /// are the same, `conflict` when they differ), else `body` runs and its result is recorded
    /// (fsynced) before it is answered. Errors are not recorded: a failed request may be retried
    /// with its id and acts again. The id's lock is held throughout, so a retry that races the
    /// first attempt waits for it and answers its result.
    func once<R: Codable & Sendable>(_ method: MethodName, _ params: some Encodable, requestId: String?,
                                     _ body: () async throws -> R) async throws -> R {
        guard let requestId else { return try await body() }
        try InstallValidation.requestId(requestId)
        let paramsValue = try JSONValueEncoder().encode(params)
        return try await withLock(.request(requestId)) {
            if let previous = try store.readRequest(requestId) {
                guard previous.method == method.rawValue, previous.params == paramsValue else {
                    throw RPCError(.conflict, "requestId \(String(reflecting: requestId)) was used for a different request (\(previous.method))",
                                   details: ["requestId": .string(requestId), "method": .string(previous.method)])
                }
                return try JSONValueDecoder().decode(R.self, from: previous.result)
            }
            let result = try await body()
            let record = RequestRecord(method: method.rawValue, params: paramsValue, result: try JSONValueEncoder().encode(result))
            let bytes = try ContainerStore.encode(record)
            let path = try layout.requestRecord(forRequestId: requestId)
            let evicted = requestJournal.admit(name: FileSystem.baseName(of: path), size: Int64(bytes.count), now: ContainerEngine.wallClockSeconds())
            try await onStore { try $0.writeRequest(bytes, to: path, evicting: evicted) }
            return result
        }
    }

    /// Indexes the request records on disk and removes those past a bound (`open()`).
    func loadRequestJournal() throws -> Int {
        let (journal, removed) = try RequestJournal.load(layout, now: ContainerEngine.wallClockSeconds())
        requestJournal = journal
        return removed
    }

    nonisolated static func wallClockSeconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}
