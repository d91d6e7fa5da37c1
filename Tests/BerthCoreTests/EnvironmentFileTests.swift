import Foundation
import Testing
@testable import BerthCore

/// Values that have broken env files before: every character systemd, a shell or a runtime's env-file
/// reader would interpret. None holds a line break: values are one line (`lineBreakValues`).
let hostileValues: [String] = [
    "", " ", "  lead", "trail  ", "\tt\t", "\"", "'", "\"'\"", "=", "==x", " # not a comment either",
    "\\", "\\\\", "a\\", "$HOME", "${HOME}", "$$", "%h%n%%", "`id`", "$(id)", ";#", "# not a comment",
    "; not either", "a=b=c", "ünïcødé ✓ 🚢", "\u{1b}[31mred", "x\u{7f}y", "\u{1}\u{2}", "'single' \"double\"",
    "back\\slash\\n", "end\\\"", String(repeating: "long\"$\\", count: 1000),
]

/// Values the runtime's env-file cannot carry, refused wherever a variable is made.
let lineBreakValues: [String] = ["a\nb", "\n", "line1\nline2\n", "cr\rlf\r\n", "end\r", "\\\n"]

@Suite struct EnvironmentFileTests {
    @Test(arguments: [
        ("A=B", "B"), ("A=\"B\"", "B"), ("A='B'", "B"), ("  A=B", "B"), ("  A=B  ", "B"),
        ("A=\"'B'\"", "'B'"), ("A=\"'B  '\"", "'B  '"), ("A=\"B  \"", "B  "),  // systemd keeps quoted blanks
        ("A =  B", "B"), ("A=", ""), ("A=\"\"", ""), ("A=''", ""), ("A=B C", "B C"), ("A=B\\ ", "B "),
        ("A=\\\"x", "\"x"), ("A=\"a\\$b\"", "a$b"), ("A=\"a\\nb\"", "a\\nb"), ("A=\"a\\\\b\"", "a\\b"),
        ("A='a\\b'", "a\\b"), ("A=a\\\nb", "ab"),
        ("A=\"a\\\nb\"", "ab"), ("A=\"a\"'b'c", "abc"), ("A=\"a\" \"b\"", "ab"), ("A=x # y", "x # y"),
    ])
    func systemdGrammar(_ text: String, _ value: String) throws {
        let e = try EnvironmentFile.parse(text)
        #expect(e.variables == [EnvironmentVariable(name: "A", value: value)])
        let withNewline = try EnvironmentFile.parse(text + "\n")
        #expect(withNewline["A"] == value)
    }

    @Test func commentsBlankLinesAndRepeats() throws {
        let text = """
            # a comment
            ; another
               # indented comment

            A=1
            B=2
            A=3\r
            C="quoted # kept"
            """
        let e = try EnvironmentFile.parse(text)
        #expect(e.names == ["A", "B", "C"])
        #expect(e["A"] == "3")
        #expect(e["C"] == "quoted # kept")
    }

    /// systemd's quotes can span lines; the values they make are refused, naming the line.
    @Test(arguments: [("A=1\nB='x\ny'", 2), ("B=\"x\ny\"", 1), ("A=1\n\nC=\"a\\\n\nb\"", 3)])
    func multiLineValuesAreRefused(_ text: String, _ line: Int) {
        do {
            _ = try EnvironmentFile.parse(text)
            Issue.record("accepted \(String(reflecting: text))")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains("line break"), "\(error)")
        }
    }

    @Test(arguments: [
        ("NOEQUALS\n", 1), ("A=1\nB\n", 2), ("1A=x", 1), ("A-B=x", 1), ("export A=x", 1), ("A=\"open", 1),
        ("A='open\nB=1", 1), ("# ends in backslash \\\nA=1", 1), ("A=1\nB=a\u{0}b", 2),
    ])
    func strictWhereSystemdDropsSilently(_ text: String, _ line: Int) {
        do {
            _ = try EnvironmentFile.parse(text)
            Issue.record("accepted \(String(reflecting: text))")
        } catch {
            #expect(error.line == line, "\(error)")
        }
    }

    @Test func sizeAndLineLimits() {
        #expect(throws: EnvironmentError.self) {
            try EnvironmentFile.parse(String(repeating: "\n", count: EnvironmentFile.maxLines + 1))
        }
        #expect(throws: EnvironmentError.self) {
            try EnvironmentFile.parse(bytes: [UInt8](repeating: 0x20, count: EnvironmentFile.maxBytes + 1))
        }
        #expect(throws: EnvironmentError.self) { try EnvironmentFile.parse(bytes: [0x41, 0x3D, 0xFF]) }
    }
}
