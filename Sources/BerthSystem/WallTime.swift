#if canImport(Glibc)
import Glibc
#endif

/// A moment on the wall clock (`CLOCK_REALTIME`), for timestamps that leave the process: log lines,
/// records, event times. Durations and deadlines use `ContinuousClock`, which never jumps.
public struct WallTime: Hashable, Sendable {
    /// Seconds since 1970, UTC.
    public var seconds: Int64
    public var nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Now. The corresponding C function is `clock_gettime`.
    public static var now: WallTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallTime(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec))
    }

    /// Nanoseconds since 1970, UTC (a log line's time).
    public var nanosecondsSinceEpoch: Int64 { seconds * 1_000_000_000 + nanoseconds }

    /// Milliseconds since 1970, UTC.
    public var milliseconds: Int64 { seconds * 1000 + nanoseconds / 1_000_000 }
}
