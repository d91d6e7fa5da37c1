#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

@Suite struct FileSystemTests {
    @Test func writeNewCreatesOnlyANewFileWithItsMode() throws {
        let dir = try TemporaryDirectory().path
        defer { try? FileSystem.removeTree(dir) }
        try FileSystem.writeNew(Array("one".utf8), to: "\(dir)/f", mode: 0o640)
        #expect(try FileSystem.read("\(dir)/f") == Array("one".utf8))
        var st = stat()
        #expect(stat("\(dir)/f", &st) == 0 && st.st_mode & 0o777 == 0o640)
        // Never replaces: the file a rename has not yet published is its writer's alone.
        #expect(throws: SystemError.self) { try FileSystem.writeNew(Array("two".utf8), to: "\(dir)/f") }
        #expect(try FileSystem.read("\(dir)/f") == Array("one".utf8))
    }

    @Test func writeAtomicallyReplacesDurableOrNotAndLeavesNoTemporary() throws {
        let dir = try TemporaryDirectory().path
        defer { try? FileSystem.removeTree(dir) }
        for (k, durable) in [true, false, true].enumerated() {
            try FileSystem.writeAtomically(Array("v\(k)".utf8), to: "\(dir)/unit", mode: 0o644, durable: durable)
            #expect(try FileSystem.read("\(dir)/unit") == Array("v\(k)".utf8))
        }
        #expect(try FileSystem.list(dir) == ["unit"])
    }
}
