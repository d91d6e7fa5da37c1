import Testing
import BerthProtocol

/// `LogTime` is the one formatter of UTC times (the wire's log lines, the node's log, `berth events`).
/// The instants are checked against `date -u -d @SECONDS`'s reading of them.
@Test func utcTextOfKnownInstantsAtEveryPrecision() {
    #expect(LogTime(nanoseconds: 5_000_000).rfc3339(fractionDigits: 3) == "1970-01-01T00:00:00.005Z")
    #expect(LogTime(nanoseconds: 1_796_574_885_123_999_999).rfc3339(fractionDigits: 3) == "2026-12-06T16:34:45.123Z")
    #expect(LogTime(nanoseconds: 951_825_599_999_000_000).rfc3339(fractionDigits: 3) == "2000-02-29T11:59:59.999Z")
    #expect(LogTime(nanoseconds: 1_796_574_885_123_999_999).rfc3339 == "2026-12-06T16:34:45.123999999Z")
    #expect(LogTime(nanoseconds: 1_796_574_885_123_999_999).rfc3339(fractionDigits: 0) == "2026-12-06T16:34:45Z")
    #expect(LogTime(nanoseconds: -1_000_000).rfc3339(fractionDigits: 3) == "1969-12-31T23:59:59.999Z")
}

@Test func utcTextReadsBackToTheSameInstant() {
    for nanoseconds: Int64 in [0, 1, 999_999_999, 1_796_574_885_123_456_789, -1, 4_102_444_799_999_999_999] {
        let time = LogTime(nanoseconds: nanoseconds)
        #expect(LogTime(rfc3339: time.rfc3339) == time)
    }
}
