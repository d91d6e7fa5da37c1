import BerthSystem
import Testing
@testable import BerthCore

struct ClaimDirectoryTests {
    @Test func aNameIsClaimedOnceAndWhole() throws {
        let base = try TemporaryDirectory("berth-claims")
        defer { base.remove() }
        let claims = ClaimDirectory(path: base.path + "/c", durable: true)
        try claims.create()
        #expect(try claims.claim("7", contents: Array("first\n".utf8)))
        #expect(try !claims.claim("7", contents: Array("second\n".utf8)))
        #expect(try claims.contents(of: "7") == Array("first\n".utf8))
        #expect(try claims.names() == ["7"])  // no temporary file is left behind
        #expect(try FileSystem.list(claims.path) == ["7"])
        try claims.release("7")
        #expect(try claims.claim("7", contents: Array("second\n".utf8)))
    }

    @Test func onlyTemporariesOfGoneProcessesAreRemoved() throws {
        let base = try TemporaryDirectory("berth-claims")
        defer { base.remove() }
        let claims = ClaimDirectory(path: base.path, durable: false)
        let live = "\(ClaimDirectory.temporaryPrefix)\(Processes.currentID)-1"
        let dead = "\(ClaimDirectory.temporaryPrefix)999999999-2"  // above any pid_max
        let garbled = "\(ClaimDirectory.temporaryPrefix)x"
        for name in [live, dead, garbled, "5"] { try FileSystem.writeAtomically([0x0A], to: claims.file(name)) }
        #expect(try claims.names() == ["5"])
        #expect(try claims.removeAbandonedTemporaries() == [dead, garbled].sorted())
        #expect(try FileSystem.list(base.path).sorted() == ["5", live].sorted())
    }
}
