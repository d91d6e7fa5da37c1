import BerthProtocol
import Testing
@testable import BerthCore

/// The log files' lines as conmon and the unit's markers write them (formats captured from podman
/// 4.3.1's conmon and the renderer's marker script on the real stack).
@Suite struct LogRecordParserTests {
    func feed(_ lines: [String]) -> [LogRecord] {
        var parser = LogRecordParser()
        var out: [LogRecord] = []
        for line in lines { out += parser.feed(Array(line.utf8)[...]) }
        if let part = parser.finish() { out.append(part) }
        return out
    }

    @Test func conmonLinesKeepTheirStreamAndTime() {
        let records = feed(["2026-12-06T17:55:54.268506807+00:00 stdout F out",
                            "2026-12-06T18:55:54.269289763+01:00 stderr F err with  spaces "])
        #expect(records.map(\.stream) == ["stdout", "stderr"])
        #expect(records.map { String(decoding: $0.text, as: UTF8.self) } == ["out", "err with  spaces "])
        #expect(records[0].time?.rfc3339 == "2026-12-06T17:55:54.268506807Z")
        // The same instant written with another offset.
        #expect(records[1].time?.rfc3339 == "2026-12-06T17:55:54.269289763Z")
    }

    @Test func partsJoinAndALongLineIsCutAndCounted() {
        let part = String(repeating: "a", count: 8192)
        let lines = (0..<127).map { _ in "2026-12-06T17:55:55.272174003+00:00 stdout P " + part }
            + ["2026-12-06T17:55:55.272174003+00:00 stdout F " + String(repeating: "a", count: 8192 - 16), // 1 MiB in all
               "2026-12-06T17:55:55.3+00:00 stdout F after"]
        let records = feed(lines)
        #expect(records.count == 2)
        #expect(records[0].text.count == ContractLimits.logLineBytes)
        #expect(records[0].text.count + records[0].cutBytes == (1 << 20) - 16)
        #expect(String(decoding: records[1].text, as: UTF8.self) == "after")
    }

    @Test func runtimeLinesTakeTheTimeOfTheMarkerBeforeThem() {
        let records = feed(["Error: no such image",
                            "2026-12-06T17:57:31.925893+00:00 systemd F starting",
                            "Error: localhost/nope:latest: image not known"])
        #expect(records.map(\.stream) == ["runtime", "systemd", "runtime"])
        #expect(records[0].time == nil)
        #expect(records[2].time == records[1].time)
        #expect(records[1].time?.rfc3339 == "2026-12-06T17:57:31.925893000Z")
    }

    @Test func aPartOfAnotherStreamThatNeverEndedIsShownAsItIs() {
        let records = feed(["2026-12-06T17:55:55.1+00:00 stdout P half",
                            "2026-12-06T17:55:55.2+00:00 stderr F whole"])
        #expect(records.map { String(decoding: $0.text, as: UTF8.self) } == ["half", "whole"])
    }

    @Test func timesParseStrictly() {
        #expect(LogTime(rfc3339: "1970-01-01T00:00:00Z")?.nanoseconds == 0)
        #expect(LogTime(rfc3339: "2000-03-01T00:00:00.5-01:30")?.rfc3339 == "2000-03-01T01:30:00.500000000Z")
        for bad in ["yesterday", "2026-13-01T00:00:00Z", "2026-12-06T17:00:00", "2026-12-06T17:00:00.Z", "2026-12-06T17:00:00Zx"] {
            #expect(LogTime(rfc3339: bad) == nil, "\(bad)")
        }
    }
}
