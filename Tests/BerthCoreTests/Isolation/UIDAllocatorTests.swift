import Testing
#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthSystem

struct UIDAllocatorTests {
    static func layout() throws -> Layout {
        let dir = "/tmp/berth-uid-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return try Layout(stateDir: "\(dir)/state", runDir: "\(dir)/run", unitDir: "\(dir)/units")
    }

    @Test func claimsTheLowestFreeUIDKeepsItAndReleasesIt() throws {
        let layout = try UIDAllocatorTests.layout()
        defer { try? FileSystem.removeTree(FileSystem.directoryName(of: layout.stateDir)) }
        let uids = UIDAllocator(layout: layout, range: 500...502)
        let a = try Identifier("a"), b = try Identifier("b"), c = try Identifier("c"), d = try Identifier("d")
        #expect(try uids.reserve(for: a) == 500)
        #expect(try uids.reserve(for: b) == 501)
        #expect(try uids.reserve(for: a) == 500)  // a reinstall keeps its uid
        #expect(try uids.reserve(for: c) == 502)
        #expect(throws: UIDAllocationError.self) { try uids.reserve(for: d) }
        #expect(try uids.releaseAll(for: b) == [501])
        #expect(try uids.releaseAll(for: b) == [])
        #expect(try uids.reserve(for: d) == 501)
        #expect(try uids.claims().map(\.owner) == [a, d, c])
        // Another allocator on the same directory (another process) sees the same claims.
        #expect(try UIDAllocator(layout: layout, range: 500...502).uid(of: d) == 501)
    }

    @Test func recoveryReleasesOrphansDamagedClaimsAndDeadTemporaries() throws {
        let layout = try UIDAllocatorTests.layout()
        defer { try? FileSystem.removeTree(FileSystem.directoryName(of: layout.stateDir)) }
        let uids = UIDAllocator(layout: layout, range: 700...799)
        let kept = try Identifier("kept"), orphan = try Identifier("orphan")
        let keptUID = try uids.reserve(for: kept)
        let orphanUID = try uids.reserve(for: orphan)
        // A claim file cut short (no newline) and a temporary file of a process that is gone.
        try FileSystem.writeAtomically(Array("half".utf8), to: "\(uids.directory)/750")
        try FileSystem.writeAtomically(Array("x\n".utf8), to: "\(uids.directory)/.claim-999999999-1")
        #expect(try uids.recover(keeping: [kept]) == [orphanUID])
        #expect(try FileSystem.list(uids.directory).sorted() == [String(keptUID)])
        #expect(try uids.uid(of: kept) == keptUID)
        #expect(try uids.reserve(for: orphan) == orphanUID)  // free again
    }

    /// Two allocators on one directory (two processes, or a claim file edited by hand): what one
    /// keeps in memory goes stale, and the claim files still decide. A uid the other took is never
    /// given twice, a release only removes a claim that names its owner, and a uid the other freed
    /// is found when the range seems full.
    @Test func anotherAllocatorsClaimsAndReleasesAreSeen() throws {
        let layout = try UIDAllocatorTests.layout()
        defer { try? FileSystem.removeTree(FileSystem.directoryName(of: layout.stateDir)) }
        let mine = UIDAllocator(layout: layout, range: 600...602)
        let other = UIDAllocator(layout: layout, range: 600...602)
        let a = try Identifier("a"), b = try Identifier("b"), c = try Identifier("c"), d = try Identifier("d")
        #expect(try mine.reserve(for: a) == 600)  // `mine` now knows the claims
        #expect(try other.reserve(for: b) == 601)  // unknown to `mine`
        #expect(try mine.reserve(for: c) == 602)  // 601's link is taken: skipped, not given twice
        #expect(try mine.claims().map(\.owner) == [a, b, c])
        // The other frees 601 while `mine` believes the range is full (`uid(of:)` reads the
        // directory and `mine` keeps what it read).
        #expect(try mine.uid(of: b) == 601)
        #expect(try other.releaseAll(for: b) == [601])
        #expect(try mine.reserve(for: d) == 601)
        // A claim `mine` believes is a's, rewritten to name someone else, is not released as a's.
        try FileSystem.writeAtomically(Array("c\n".utf8), to: "\(mine.directory)/600")
        #expect(try mine.releaseAll(for: a) == [])
        #expect(FileSystem.exists("\(mine.directory)/600"))
    }
}
