#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

extension SystemTests {
    @Suite struct WallTimeTests {
        @Test func millisecondsAndNanosecondsSinceTheEpoch() {
            #expect(WallTime(seconds: 1_796_574_885, nanoseconds: 42_000_000).milliseconds == 1_796_574_885_042)
            #expect(WallTime(seconds: 2, nanoseconds: 5).nanosecondsSinceEpoch == 2_000_000_005)
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
