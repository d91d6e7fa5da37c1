import BerthCore
import BerthProtocol
import BerthSystem

/// The request log: the result of every mutation that carried a `requestId`, one file each
/// (`<stateDir>/requests/<sha256(requestId)>.json`), so a retry answers what the first attempt did.
/// `ContainerEngine.once` is its one user; which records are kept is `RequestJournal`'s index.
///
/// A value owned by the engine's actor (which serialises its changes); the files are written by
/// `Entry.write()` on a `berth-store` thread.
struct RequestLog: Sendable {
    let layout: Layout
    private var journal = RequestJournal()

    init(layout: Layout) { self.layout = layout }

    /// A result about to be recorded: its bytes, its path, and the older records it evicts.
    struct Entry: Sendable {
        let bytes: [UInt8]
        let path: String
        let evicted: [String]
        let requestsDir: String

        /// Writes the record (durably) and removes the records it evicted.
        func write() throws {
            try FileSystem.createDirectory(requestsDir, mode: 0o700)
            try FileSystem.writeAtomically(bytes, to: path, mode: 0o600)
            // Not synced: a removal lost in a crash is made again by the next start's `load`.
            for name in evicted { try FileSystem.remove("\(requestsDir)/\(name)") }
        }
    }

    /// Indexes the records on disk and removes those past a bound (`open()`); returns how many went.
    mutating func load() throws -> Int {
        let (loaded, removed) = try RequestJournal.load(layout, now: WallTime.now.seconds)
        journal = loaded
        return removed
    }

    /// The result recorded for `requestId`, when the same request made it; nil when there is no
    /// record; `conflict` when the id was used for another method or other params.
    func answer<R: Decodable>(_ requestId: String, method: MethodName, params: JSONValue) throws -> R? {
        guard let previous = try read(requestId) else { return nil }
        guard previous.method == method.rawValue, previous.params == params else {
            throw RPCError(.conflict, "requestId \(String(reflecting: requestId)) was used for a different request (\(previous.method))",
                           details: ["requestId": .string(requestId), "method": .string(previous.method)])
        }
        return try JSONValueDecoder().decode(R.self, from: previous.result)
    }

    /// Admits the record of `result` to the index and returns it, to be written before the answer.
    mutating func entry(_ requestId: String, method: MethodName, params: JSONValue, result: some Encodable) throws -> Entry {
        let record = RequestRecord(method: method.rawValue, params: params, result: try JSONValueEncoder().encode(result))
        let bytes = try JSONValueEncoder().encode(record).serialized()
        let path = try layout.requestRecord(forRequestId: requestId)
        let evicted = journal.admit(name: FileSystem.baseName(of: path), size: Int64(bytes.count), now: WallTime.now.seconds)
        return Entry(bytes: bytes, path: path, evicted: evicted, requestsDir: layout.requestsDir)
    }

    /// The record of `requestId`, nil when there is none. Read up to the records' whole byte budget
    /// (`RequestJournal.maxBytes`): whatever result was written can be read back.
    func read(_ requestId: String) throws -> RequestRecord? {
        guard let bytes = try FileSystem.readIfExists(try layout.requestRecord(forRequestId: requestId),
                                                      limit: Int(RequestJournal.maxBytes)) else {
            return nil
        }
        return try JSONValueDecoder().decode(RequestRecord.self, from: try JSONParser.parse(bytes))
    }
}

/// The result of one mutation, kept under its `requestId` so a retry answers the same.
struct RequestRecord: Codable, Hashable, Sendable {
    var method: String
    var params: JSONValue
    var result: JSONValue
    enum CodingKeys: String, CodingKey { case method, params, result }
}
