import BerthProtocol
import Testing
@testable import BerthClient

@Suite struct StatusCommandTests {
    static let since = "2026-12-06T21:40:12.532110Z"
    static let sinceNanoseconds = LogTime(rfc3339: since)!.nanoseconds

    @Test func aFailedContainerReadsLikeSystemctlStatus() {
        let status = ContainerStatus(id: "web", image: "localhost/busybox:latest", state: "failed", subState: "failed",
                                     enabled: true, result: "exit-code", exitStatus: 3, since: Self.since, restarts: 2)
        let lines = StatusCommand.lines(status, node: nil, now: Self.sinceNanoseconds + 125_000_000_000)
        #expect(lines == [
            "id:               web",
            "state:            failed (Result: exit-code) since \(Self.since); 2min 5s ago",
            "main process:     exited, status 3",
            "restarts:         2",
            "image:            localhost/busybox:latest",
            "ports:            -",
            "start on boot:    yes",
            "socket activated: no",
            "restart:          no",
            "limits:           none",
        ])
    }

    @Test func aRunningOrKilledContainer() {
        var status = ContainerStatus(id: "web", image: "i", state: "active", subState: "running", mainPID: 42,
                                     result: "success", since: Self.since, restarts: 0)
        let running = StatusCommand.lines(status, node: nil, now: Self.sinceNanoseconds + 3_000_000_000)
        #expect(running[1] == "state:            active (running) since \(Self.since); 3s ago")
        #expect(running[2] == "main pid:         42")
        #expect(!running.contains { $0.hasPrefix("main process:") })
        (status.state, status.subState, status.mainPID, status.result, status.exitSignal) = ("failed", "failed", nil, "signal", "SIGKILL")
        #expect(StatusCommand.lines(status, node: nil, now: Self.sinceNanoseconds).contains("main process:     killed by SIGKILL"))
        // A node that does not report why (an older one): the lines it always had.
        let plain = ContainerStatus(id: "web", image: "i", state: "inactive")
        #expect(StatusCommand.lines(plain, node: nil, now: 0)[1] == "state:            inactive")
    }

    @Test func agesReadLikeSystemds() {
        let second: Int64 = 1_000_000_000
        #expect(StatusCommand.ago(nanoseconds: 45 * second) == "45s ago")
        #expect(StatusCommand.ago(nanoseconds: 180 * second) == "3min ago")
        #expect(StatusCommand.ago(nanoseconds: (2 * 3600 + 5 * 60 + 7) * second) == "2h 5min ago")
        #expect(StatusCommand.ago(nanoseconds: (3 * 86_400 + 4 * 3600) * second) == "3 days 4h ago")
        #expect(StatusCommand.ago(nanoseconds: -5 * second) == "0s ago")
    }

    @Test func linesOption() throws {
        #expect(try StatusCommand(arguments: ["-n", "3", "web"]).lines == 3)
        #expect(try StatusCommand(arguments: ["web"]).lines == 10)
        for arguments in [["-n", "-1", "web"], ["--lines", "x", "web"], ["-n", "10001", "web"]] {
            #expect(throws: UsageError.self, "\(arguments)") { try StatusCommand(arguments: arguments) }
        }
    }

    /// A failed start's error carries the log's last lines; the CLI prints them under the error.
    @Test func aFailedStartsLogPrintsUnderItsError() throws {
        let log = [LogLine(time: "2026-12-06T21:41:03.120044512Z", stream: "runtime", text: "Error: image not known \u{1B}[0m")]
        let error = RPCError(.runtimeFailed, "did not start", details: ["result": "exit-code", "log": try JSONValueEncoder().encode(log)])
        #expect(CommandContext.failureLog(error) == [
            "  last lines of its log:",
            "    2026-12-06T21:41:03.120044512Z runtime Error: image not known \\x1b[0m",
        ])
        #expect(CommandContext.failureLog(RPCError(.notFound, "no container")).isEmpty)
        #expect(CommandContext.errorJSON(error)["data"]?["result"] == "exit-code")
    }

    /// The node cuts each line of a failed start's log to a bound, at a character's start.
    @Test func logLinesAreCutAtACharacter() {
        let line = LogLine(time: nil, stream: "stdout", text: "aé" + String(repeating: "b", count: 10), cutBytes: 4)
        let cut = line.cut(toBytes: 2)
        #expect(cut.text == "a" && cut.cutBytes == 4 + 12)
        #expect(line.cut(toBytes: 100) == line)
    }
}
