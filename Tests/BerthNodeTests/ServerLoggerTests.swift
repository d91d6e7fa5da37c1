import Testing
@testable import BerthNode
import BerthSystem

@Suite struct ServerLoggerTests {
    @Test func underSystemdLinesCarryPrioritiesAndNoTimestamp() {
        let logger = Logger(minimumLevel: .debug, underSystemd: true) { _ in }
        #expect(logger.format(.error, "accept_failed", [("address", "unix:/run/x"), ("error", "EMFILE here")])
                == "<3>ERROR accept_failed address=unix:/run/x error=\"EMFILE here\"\n")
        #expect(logger.format(.info, "listening", []) == "<6>INFO listening\n")
        #expect(logger.format(.debug, "x", []).hasPrefix("<7>"))
        #expect(logger.format(.warning, "x", []).hasPrefix("<4>"))
        #expect(logger.format(.notice, "x", []).hasPrefix("<5>"))
    }

    @Test func elsewhereLinesStartWithATimestamp() {
        let line = Logger(underSystemd: false) { _ in }.format(.info, "starting", [("pid", "42")])
        let parts = line.split(separator: " ")
        #expect(parts.count == 4)
        #expect(parts[0].count == 24 && parts[0].hasSuffix("Z") && parts[0].contains("T"))
        #expect(parts[1] == "INFO" && parts[2] == "starting" && parts[3] == "pid=42\n")
    }

    @Test func valuesCannotForgeLines() {
        let logger = Logger(underSystemd: true) { _ in }
        let line = logger.format(.info, "ev\nil", [("k", "a\n<3>ERROR forged"), ("q", "say \"hi\""), ("e", "")])
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(line == "<6>INFO ev\\nil k=\"a\\n<3>ERROR forged\" q=\"say \\\"hi\\\"\" e=\"\"\n")
    }

    /// A `"` followed by a combining mark is one Swift Character that is not `"`: escaping by
    /// Character left it raw, so a value could end its quotes early and forge a field.
    @Test func quoteFollowedByACombiningMarkIsEscaped() {
        let logger = Logger(underSystemd: true) { _ in }
        let line = logger.format(.info, "ev", [("k", "a\"\u{301} forged=1")])
        #expect(Array(line.utf8) == Array("<6>INFO ev k=\"a\\\"\u{301} forged=1\"\n".utf8))
    }

    @Test func levelsBelowTheMinimumAreDropped() {
        let lines = Lock<[String]>([])
        let logger = Logger(minimumLevel: .notice, underSystemd: true) { line in lines.withLock { $0.append(line) } }
        logger.debug("a")
        logger.info("b")
        logger.notice("c")
        logger.error("d", ["n": 1])
        #expect(lines.withLock { $0 } == ["<5>NOTICE c\n", "<3>ERROR d n=1\n"])
    }
}
