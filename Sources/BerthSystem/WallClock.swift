#if canImport(Glibc)
import Glibc
#endif

/// The system's wall clock (what a log line's time is read against, e.g. `berth logs --since 10m`).
public enum WallClock {
    /// Nanoseconds since 1970-01-01 UTC. The corresponding C function is `clock_gettime(CLOCK_REALTIME)`.
    public static func nanosecondsSinceEpoch() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
