import Testing
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

/// The bounds of the request records: count, bytes and age, oldest first, the newest always kept;
/// and what `load` makes of a directory written by an earlier version.
@Suite struct RequestJournalTests {
    @Test func theOldestGoFirstPastEachBound() {
        var journal = RequestJournal()
        for i in 0..<RequestJournal.maxRecords {
            #expect(journal.admit(name: "r\(i)", size: 10, now: 1_000).isEmpty)
        }
        #expect(journal.admit(name: "over", size: 10, now: 1_000) == ["r0"])
        #expect(journal.count == RequestJournal.maxRecords)

        var bytes = RequestJournal()
        #expect(bytes.admit(name: "a", size: RequestJournal.maxBytes / 2, now: 0).isEmpty)
        #expect(bytes.admit(name: "b", size: RequestJournal.maxBytes / 2, now: 0).isEmpty)
        #expect(bytes.admit(name: "c", size: 1, now: 0) == ["a"])
        #expect(bytes.admit(name: "huge", size: RequestJournal.maxBytes * 2, now: 0) == ["b", "c"])  // the newest stays
        #expect(bytes.count == 1)

        var age = RequestJournal()
        _ = age.admit(name: "old", size: 1, now: 0)
        _ = age.admit(name: "mid", size: 1, now: RequestJournal.maxAgeSeconds / 2)
        #expect(age.admit(name: "new", size: 1, now: RequestJournal.maxAgeSeconds + 1) == ["old"])
        #expect(age.evict(now: RequestJournal.maxAgeSeconds * 3) == ["mid"])
        #expect(age.count == 1)
    }

    @Test func loadIndexesRenamesEarlierRecordsAndDropsExpiredOnes() throws {
        let root = "/tmp/berth-requests-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileSystem.removeTree(root) }
        let layout = try Layout(stateDir: root + "/state", runDir: root + "/run", unitDir: root + "/units")
        try layout.prepare()
        // An earlier version named a record by the hex of its id: "abc" -> 616263.json.
        try FileSystem.writeAtomically(Array("{}".utf8), to: layout.requestsDir + "/616263.json")
        try FileSystem.writeAtomically(Array("{}".utf8), to: try layout.requestRecord(forRequestId: "x"))
        let now = WallTime.now.seconds
        let (journal, removed) = try RequestJournal.load(layout, now: now)
        #expect(removed == 0 && journal.count == 2)
        #expect(FileSystem.exists(try layout.requestRecord(forRequestId: "abc")))
        #expect(!FileSystem.exists(layout.requestsDir + "/616263.json"))
        // A day past the age bound both are too old; the newest is kept all the same.
        let (later, expired) = try RequestJournal.load(layout, now: now + RequestJournal.maxAgeSeconds + 86_400)
        #expect(expired == 1 && later.count == 1)
        #expect(try FileSystem.list(layout.requestsDir).count == 1)
    }
}
