import Testing
@testable import BerthCore
import BerthFuzzChecks

@Suite struct SystemdEscapingTests {
    static let hostile: [String] = [
        "plain", "", " ", "two words", "\"", "'", "\\", "\\\\", "a\"b'c", "%n", "%%", "100%", "$HOME", "${HOME}",
        "$$", "$", ";", "\\;", "a;b", "-p", "--privileged", "#comment", "line\nbreak", "cr\rret", "tab\there",
        "\u{7F}del", "\u{1B}[31mred", "trailing\\", "é ü 漢字", "=", "--name=x y", "\"quoted\"", "'single'",
    ]

    @Test(arguments: hostile)
    func execArgumentRoundTrips(_ argument: String) throws {
        let escaped = try SystemdEscaping.execArgument(argument)
        #expect(!escaped.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }), "a raw control character reached the unit")
        let back = try SystemdUnquote.argv("/bin/echo " + escaped)
        #expect(back == ["/bin/echo", argument])
    }

    /// `%` followed by a combining mark is one Swift Character that is not `%`: doubling `%` by
    /// Character left it single, and systemd read `%` and the mark's first byte as a specifier
    /// (Scripts/fuzz unit found it; the input is also kept in Tests/Fuzz/crashes/unit).
    @Test func percentFollowedByACombiningMarkIsEscaped() throws {
        let value = "50%\u{301} done"
        let plain = try SystemdEscaping.plainValue(value)
        #expect(Array(plain.utf8) == Array("50%%\u{301} done".utf8))
        #expect(Array(try SystemdUnquote.resolveSpecifiers(plain).utf8) == Array(value.utf8))
        #expect(Array(SystemdEscaping.unescapePlainValue(plain).utf8) == Array(value.utf8))
        #expect(try SystemdUnquote.argv(try SystemdEscaping.commandLine(["/bin/echo", value])) == ["/bin/echo", value])
    }

    @Test func wholeCommandLineRoundTrips() throws {
        let argv = ["/usr/bin/podman"] + Self.hostile
        let line = try SystemdEscaping.commandLine(argv)
        #expect(try SystemdUnquote.argv(line) == argv)
    }

    @Test func bareWordsStayReadable() throws {
        #expect(try SystemdEscaping.execArgument("--publish=18080:8080") == "--publish=18080:8080")
        #expect(try SystemdEscaping.execArgument("localhost/busybox:latest") == "localhost/busybox:latest")
        #expect(try SystemdEscaping.execArgument("a b") == "\"a b\"")
        #expect(try SystemdEscaping.execArgument("") == "\"\"")
        #expect(try SystemdEscaping.execArgument("%t") == "\"%%t\"")
        #expect(try SystemdEscaping.execArgument("$X") == "\"$$X\"")
        #expect(try SystemdEscaping.execArgument("a\nb") == "\"a\\x0ab\"")
        #expect(try SystemdEscaping.execArgument(";") == "\";\"")
    }

    @Test func nulIsRefused() {
        #expect(throws: RenderError.self) { try SystemdEscaping.execArgument("a\u{0}b") }
    }

    @Test(arguments: ["relative/bin", "", "/", "/usr/bin/", "/usr/../bin/sh", "/usr//bin", "/bin/a b",
                      "/bin/\"x\"", "-/bin/true", "/bin/%n", "/bin/x\n", "@/bin/x", "/bin/x=y"])
    func badExecutablesAreRefused(_ path: String) {
        #expect(throws: RenderError.self) { try SystemdEscaping.commandLine([path, "x"]) }
    }

    @Test func ignoreFailurePrefix() throws {
        #expect(try SystemdEscaping.commandLine(["/usr/bin/podman", "rm"], ignoreFailure: true) == "-/usr/bin/podman rm")
    }

    @Test func environmentAssignmentQuotesButKeepsDollars() throws {
        let value = try SystemdEscaping.environmentAssignment(name: "DOCKER_HOST", value: "unix:///run/a b/$x%y\"z")
        #expect(value == "\"DOCKER_HOST=unix:///run/a b/$x%%y\\\"z\"")
        #expect(throws: RenderError.self) { try SystemdEscaping.environmentAssignment(name: "1BAD", value: "x") }
        #expect(throws: RenderError.self) { try SystemdEscaping.environmentAssignment(name: "A-B", value: "x") }
    }

    @Test func plainValues() throws {
        #expect(try SystemdEscaping.plainValue("50% done") == "50%% done")
        #expect(SystemdEscaping.unescapePlainValue("50%% done") == "50% done")
        for bad in ["a\nb", "a\rb", "ends\\", " lead", "trail ", "bell\u{7}"] {
            #expect(throws: RenderError.self, "\(bad.debugDescription)") { try SystemdEscaping.plainValue(bad) }
        }
    }

    @Test func errorsNameTheField() {
        do {
            _ = try SystemdEscaping.plainValue("x\ny", field: "request id")
            Issue.record("expected a throw")
        } catch {
            #expect(error.field == "request id")
            #expect(error.description.contains("control character"))
        }
    }
}
