#if canImport(Glibc)
import Glibc
#endif

/// The time of day (`CLOCK_REALTIME`): for what is stored or compared with file times, never for
/// measuring a duration (that is `ContinuousClock`).
public enum WallClock {
    /// Seconds since 1970, UTC.
    public static func seconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}
