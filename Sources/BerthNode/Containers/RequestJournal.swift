import BerthCore
import BerthProtocol
import BerthSystem

/// Which request records (`<stateDir>/requests/<sha256(requestId)>.json`) are kept, oldest first,
/// so the directory stays bounded: at most `maxRecords` records, `maxBytes` bytes together, and none
/// older than `maxAgeSeconds`. The oldest go first when a new record would pass a bound, and at
/// start-up (`load`). The newest record is always kept, whatever its size.
///
/// A value owned by `ContainerEngine` (its actor serialises the changes); the files themselves are
/// written and removed by the engine on a `berth-store` thread.
struct RequestJournal: Sendable {
    static let maxRecords = 10_000
    static let maxBytes: Int64 = 64 << 20
    static let maxAgeSeconds: Int64 = 7 * 24 * 3600

    struct Entry: Sendable {
        var name: String
        var size: Int64
        var recorded: Int64
    }

    /// Oldest first from `head` on; entries before `head` were evicted (compacted now and then).
    private var entries: [Entry] = []
    private var head = 0
    private(set) var totalBytes: Int64 = 0
    var count: Int { entries.count - head }

    /// Adds the record about to be written; returns the names of records to remove for it.
    mutating func admit(name: String, size: Int64, now: Int64) -> [String] {
        entries.append(Entry(name: name, size: size, recorded: now))
        totalBytes += size
        return evict(now: now)
    }

    /// Removes entries past a bound, oldest first; returns their names.
    mutating func evict(now: Int64) -> [String] {
        var evicted: [String] = []
        while count > 1 {
            let oldest = entries[head]
            guard count > RequestJournal.maxRecords || totalBytes > RequestJournal.maxBytes
                    || now - oldest.recorded > RequestJournal.maxAgeSeconds else { break }
            evicted.append(oldest.name)
            totalBytes -= oldest.size
            head += 1
        }
        if head > 1024 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return evicted
    }

    /// Indexes `layout.requestsDir` by modification time and removes what is past a bound. Records
    /// of earlier versions, named by the hex of the request id, are renamed to their hashed name.
    static func load(_ layout: Layout, now: Int64) throws -> (journal: RequestJournal, removed: Int) {
        var journal = RequestJournal()
        guard FileSystem.exists(layout.requestsDir) else { return (journal, 0) }
        var found: [Entry] = []
        for var name in try FileSystem.list(layout.requestsDir) where name.hasSuffix(".json") && !name.hasPrefix(".") {
            if !Layout.isRequestRecordName(name), let hashed = legacyName(name, layout) {
                try FileSystem.move("\(layout.requestsDir)/\(name)", to: "\(layout.requestsDir)/\(hashed)")
                name = hashed
            }
            guard Layout.isRequestRecordName(name),
                  let info = FileSystem.sizeAndModification("\(layout.requestsDir)/\(name)") else { continue }
            found.append(Entry(name: name, size: info.size, recorded: info.modified))
        }
        found.sort { ($0.recorded, $0.name) < ($1.recorded, $1.name) }
        for entry in found { journal.totalBytes += entry.size }
        journal.entries = found
        let evicted = journal.evict(now: now)
        for name in evicted { try FileSystem.remove("\(layout.requestsDir)/\(name)") }
        return (journal, evicted.count)
    }

    /// The hashed name of a record named `hex(requestId).json`; nil when `name` is not one.
    private static func legacyName(_ name: String, _ layout: Layout) -> String? {
        guard let bytes = Hex.decode(String(name.dropLast(5))), !bytes.isEmpty,
              let id = String(validating: bytes, as: UTF8.self),
              let path = try? layout.requestRecord(forRequestId: id) else { return nil }
        return FileSystem.baseName(of: path)
    }
}
