#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

extension SystemTests {
    /// `FileSystem.info` against what the kernel reports through the raw calls, for each kind of file.
    @Suite struct FileInfoTests {
        @Test func describesFilesDirectoriesAndLinksAsStatDoes() throws {
            let dir = try TemporaryDirectory().path
            defer { try? FileSystem.removeTree(dir) }
            try FileSystem.writeNew(Array("secret".utf8), to: "\(dir)/f", mode: 0o640)
            try FileSystem.symlinkAtomically(target: "\(dir)/f", at: "\(dir)/link")
            var st = stat()
            #expect(stat("\(dir)/f", &st) == 0)

            let file = try FileSystem.info("\(dir)/f")
            #expect(file.kind == .regular)
            #expect(file.permissions == 0o640)
            #expect(file.size == 6)
            #expect(file.ownerID == st.st_uid && file.ownerID == getuid())
            #expect(file.modified == Int64(st.st_mtim.tv_sec))
            #expect(try FileSystem.info("\(dir)/link").kind == .regular, "followed")
            #expect(try FileSystem.info("\(dir)/link", followingLinks: false).kind == .symbolicLink)
            #expect(try FileSystem.info(dir).kind == .directory)
            #expect(try FileSystem.info("/dev/null").kind == .other)

            #expect(FileSystem.isDirectory(dir))
            #expect(!FileSystem.isDirectory("\(dir)/f"))
            try FileSystem.symlinkAtomically(target: dir, at: "\(dir)/dirlink")
            #expect(!FileSystem.isDirectory("\(dir)/dirlink"), "a link to a directory is not one itself")
            #expect(!FileSystem.isDirectory("\(dir)/missing"))
        }

        @Test func aMissingFileIsNoEntry() throws {
            #expect { try FileSystem.info("/nonexistent-berth-\(getpid())") } throws: { error in
                (error as? SystemError)?.errno == .noEntry && (error as? SystemError)?.call == "stat"
            }
        }

        @Test func writeControlWritesInPlaceAndCreatesNothing() throws {
            let dir = try TemporaryDirectory().path
            defer { try? FileSystem.removeTree(dir) }
            try FileSystem.writeNew(Array("abcdef".utf8), to: "\(dir)/control", mode: 0o600)
            try FileSystem.writeControl(Array("XY".utf8), to: "\(dir)/control")
            #expect(try FileSystem.read("\(dir)/control") == Array("XYcdef".utf8), "neither truncated nor replaced")
            #expect(throws: SystemError.self) { try FileSystem.writeControl([0x31], to: "\(dir)/absent") }
            #expect(!FileSystem.exists("\(dir)/absent"))
        }

        @Test func removeDirectoryRemovesOnlyAnEmptyOne() throws {
            let dir = try TemporaryDirectory().path
            defer { try? FileSystem.removeTree(dir) }
            try FileSystem.createDirectory("\(dir)/empty")
            try FileSystem.createDirectory("\(dir)/full/inner")
            try FileSystem.removeDirectory("\(dir)/empty")
            #expect(!FileSystem.exists("\(dir)/empty"))
            try FileSystem.removeDirectory("\(dir)/empty")  // already gone: not an error
            #expect(throws: SystemError.self) { try FileSystem.removeDirectory("\(dir)/full") }
            #expect(FileSystem.isDirectory("\(dir)/full/inner"))
        }
    }
}
