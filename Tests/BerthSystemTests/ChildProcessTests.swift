#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

extension SystemTests {
    @Suite struct ChildProcessTests {
        @Test func talksOverTheSocketAndIsReapedByTerminate() async throws {
            let (ours, theirs) = try Socket.pair()
            // The child reports its descriptors, then echoes its standard input until killed.
            let script = "ls /proc/$$/fd; exec cat"
            let request = ProcessRequest("sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin"])
            let child = try theirs.descriptor.closeAfter { try ChildProcess.spawn(request, standardInputOutput: theirs) }
            let connection = try Connection(ours)
            defer { connection.close() }
            var listing: [UInt8] = []
            while !listing.ends(with: Array("2\n".utf8)) {
                let bytes = try await connection.read()
                try #require(!bytes.isEmpty, "the child closed the socket after \(listing)")
                listing += bytes
            }
            // Only 0, 1 and 2: none of the test's own descriptors leaked into the child.
            #expect(String(decoding: listing, as: UTF8.self).split(separator: "\n") == ["0", "1", "2"])
            try await connection.write(Array("ping\n".utf8))
            #expect(try await connection.read() == Array("ping\n".utf8))

            await child.terminate()
            var status: CInt = 0
            #expect(waitpid(child.processID, &status, WNOHANG) == -1 && errno == ECHILD)  // already reaped
            #expect(try await connection.read() == [])  // its end of the socket closed with it
        }

        @Test func badRequestsFailBeforeAnythingRuns() throws {
            let (ours, theirs) = try Socket.pair()
            defer { ours.close(); theirs.close() }
            let missing = #expect(throws: ProcessRunnerError.self) {
                try ChildProcess.spawn(ProcessRequest("/nonexistent/ssh"), standardInputOutput: theirs)
            }
            #expect(missing?.message.contains("/nonexistent/ssh") == true)
            #expect(throws: ProcessRunnerError.self) {
                try ChildProcess.spawn(ProcessRequest("sh", ["a\0b"]), standardInputOutput: theirs)
            }
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
