import BerthProtocol
import Testing
@testable import BerthClient

@Suite struct LogsCommandTests {
    @Test func parsesEveryOption() throws {
        let command = try LogsCommand(arguments: ["-f", "--tail", "5", "--since", "2026-12-06T17:00:00+01:00", "web", "b/db"])
        try command.validate()
        #expect(command.follow)
        #expect(command.tail == 5)
        #expect(command.since == "2026-12-06T16:00:00.000000000Z")
        #expect(command.arguments.ids == ["web", "b/db"])
    }

    @Test func refusesBadTailAndSince() {
        for arguments in [["--tail", "-1", "web"], ["--tail", "10001", "web"], ["--tail", "x", "web"],
                          ["--since", "yesterday", "web"], ["--since", "10y", "web"], ["--since", "-5m", "web"]] {
            #expect(throws: UsageError.self, "\(arguments)") { try LogsCommand(arguments: arguments) }
        }
    }

    @Test func sinceTakesAnAge() {
        let now: Int64 = 1_000_000 * 1_000_000_000
        #expect(LogsCommand.sinceTime("10m", now: now)?.nanoseconds == now - 600 * 1_000_000_000)
        #expect(LogsCommand.sinceTime("1d", now: now)?.nanoseconds == now - 86_400 * 1_000_000_000)
    }

    /// A log line must not reach the terminal as escape sequences.
    @Test func controlCharactersAreEscaped() {
        let line = LogLine(time: "2026-12-06T17:00:00.000000000Z", stream: "stdout", text: "esc \u{1B}[31mred\u{01}\u{7F}\u{9B}\tok é", cutBytes: 7)
        #expect(LogsCommand.text(line) == "2026-12-06T17:00:00.000000000Z stdout esc \\x1b[31mred\\x01\\x7f\\x9b\tok é [... 7 bytes cut]")
    }
}
