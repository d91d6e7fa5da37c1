#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthNode
import BerthProtocol
import BerthSystem

/// berthd refuses a secret file that is no secret, before it listens: each refusal names the file
/// and what to do, on real files with real modes.
@Suite struct SecretFileTests {
    func refusal(_ path: String) -> String? {
        do { _ = try SecretFile.load(path); return nil } catch { return error.message }
    }

    @Test func loadsAPrivateFileAndRefusesEveryOther() throws {
        let dir = "/tmp/berth-secret-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.createDirectory(dir, mode: 0o700)
        defer { try? FileSystem.removeTree(dir) }
        let secret = Array("0123456789abcdef0123456789abcdef\n".utf8)
        try FileSystem.writeNew(secret, to: "\(dir)/private", mode: 0o640)
        try FileSystem.writeNew(secret, to: "\(dir)/public", mode: 0o644)
        try FileSystem.symlinkAtomically(target: "\(dir)/private", at: "\(dir)/link")

        #expect(try SecretFile.load("\(dir)/private") == AuthKeyring(single: AuthSecret(fileContents: secret)))
        #expect(try SecretFile.load("\(dir)/link") == AuthKeyring(single: AuthSecret(fileContents: secret)), "a link is followed to its file")
        #expect(refusal("\(dir)/public") == "--secret-file \(dir)/public is readable by other users (mode 644); chmod 600 or 640 it")
        #expect(refusal(dir) == "--secret-file \(dir): not a regular file")
        #expect(refusal("\(dir)/missing") == "--secret-file \(dir)/missing: \(Errno.noEntry)")
    }
}
