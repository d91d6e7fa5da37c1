/// A log line's time: nanoseconds since the Unix epoch, read from and written as RFC 3339.
///
/// conmon writes `2026-12-06T17:55:49.305146721+00:00` (local offset), the unit's marker lines
/// the same in UTC; the wire carries UTC with nine fraction digits, so times sort as text too.
public struct LogTime: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func < (a: LogTime, b: LogTime) -> Bool { a.nanoseconds < b.nanoseconds }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil for anything else.
    public init?(rfc3339 text: some StringProtocol) {
        guard let value = LogTime.parse(Array(text.utf8)[...]) else { return nil }
        self = value
    }

    /// Parses the same from bytes (a log file's prefix), without making a String.
    public static func parse(_ b: ArraySlice<UInt8>) -> LogTime? {
        let s = b.startIndex
        guard b.count >= 20 else { return nil }
        func digits(_ at: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for i in at..<(at + count) {
                let c = b[s + i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int64(c - 0x30)
            }
            return value
        }
        func byte(_ at: Int) -> UInt8 { b[s + at] }
        guard let year = digits(0, 4), byte(4) == 0x2D, let month = digits(5, 2), byte(7) == 0x2D,
              let day = digits(8, 2), byte(10) == 0x54 || byte(10) == 0x74 || byte(10) == 0x20,
              let hour = digits(11, 2), byte(13) == 0x3A, let minute = digits(14, 2), byte(16) == 0x3A,
              let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var fraction: Int64 = 0
        if i < b.count, byte(i) == 0x2E {
            i += 1
            var scale: Int64 = 100_000_000
            let start = i
            while i < b.count, byte(i) >= 0x30, byte(i) <= 0x39 {
                fraction += Int64(byte(i) - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        if byte(i) == 0x5A || byte(i) == 0x7A {
            i += 1
        } else {
            guard byte(i) == 0x2B || byte(i) == 0x2D, i + 6 <= b.count, let oh = digits(i + 1, 2), byte(i + 3) == 0x3A,
                  let om = digits(i + 4, 2), oh < 24, om < 60 else { return nil }
            offset = (oh * 60 + om) * 60 * (byte(i) == 0x2B ? 1 : -1)
            i += 6
        }
        guard i == b.count else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return LogTime(nanoseconds: seconds * 1_000_000_000 + fraction)
    }

    /// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
    public var rfc3339: String { rfc3339(fractionDigits: 9) }

    /// UTC with `fractionDigits` (0 to 9) digits of the second, cut, not rounded (a time never reads
    /// later than it was): `2026-12-06T17:54:45.123Z` with 3. The one formatter of UTC times: log
    /// lines on the wire, the node's own log, `berth events`.
    public func rfc3339(fractionDigits: Int) -> String {
        precondition((0...9).contains(fractionDigits), "0 to 9 fraction digits")
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        let (y, m, d) = LogTime.civil(days: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let text = String(v)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var divisor: Int64 = 1
        for _ in fractionDigits..<9 { divisor *= 10 }
        let fractionText = fractionDigits == 0 ? "" : "." + pad(fraction / divisor, fractionDigits)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2))\(fractionText)Z"
    }

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day since 1970-01-01 (`civil_from_days`).
    static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}
