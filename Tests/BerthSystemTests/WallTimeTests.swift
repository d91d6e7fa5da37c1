#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

extension SystemTests {
    @Suite struct WallTimeTests {
        /// Fixed instants, checked against `date -u -d @SECONDS`'s reading of them.
        @Test func utcTextOfKnownInstants() {
            #expect(WallTime(seconds: 0, nanoseconds: 5_000_000).utcText == "1970-01-01T00:00:00.005Z")
            #expect(WallTime(seconds: 1_796_574_885, nanoseconds: 123_999_999).utcText == "2026-12-06T16:34:45.123Z")
            #expect(WallTime(seconds: 951_825_599, nanoseconds: 999_000_000).utcText == "2000-02-29T11:59:59.999Z")
            #expect(WallTime(seconds: 1_796_574_885, nanoseconds: 42_000_000).milliseconds == 1_796_574_885_042)
        }

        /// `now` is the kernel's realtime clock: a file written before reading it is no newer, and
        /// `time(2)` read after it is no older.
        @Test func nowIsTheRealtimeClock() throws {
            let path = "/tmp/berth-walltime-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileSystem.writeNew([1], to: path)
            defer { try? FileSystem.remove(path) }
            let now = WallTime.now
            let after = Int64(time(nil))
            #expect(try FileSystem.info(path).modified <= now.seconds)
            #expect(now.seconds <= after)
            #expect((0..<1_000_000_000).contains(now.nanoseconds))
        }
    }
}
