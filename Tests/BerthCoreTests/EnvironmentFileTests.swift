import Foundation
import Testing
@testable import BerthCore

/// Values that have broken env files before: every character systemd or a shell would interpret.
let hostileValues: [String] = [
    "", " ", "  lead", "trail  ", "\tt\t", "a\nb", "\n", "line1\nline2\n", "cr\rlf\r\n", "\"", "'", "\"'\"",
    "\\", "\\\\", "a\\", "\\\n", "$HOME", "${HOME}", "$$", "%h%n%%", "`id`", "$(id)", ";#", "# not a comment",
    "; not either", "a=b=c", "ünïcødé ✓ 🚢", "\u{1b}[31mred", "x\u{7f}y", "\u{1}\u{2}", "'single' \"double\"",
    "back\\slash\\n", "end\\\"", String(repeating: "long\"$\\", count: 1000),
]

@Suite struct EnvironmentFileTests {
    @Test(arguments: [
        ("A=B", "B"), ("A=\"B\"", "B"), ("A='B'", "B"), ("  A=B", "B"), ("  A=B  ", "B"),
        ("A=\"'B'\"", "'B'"), ("A=\"'B  '\"", "'B  '"), ("A=\"B  \"", "B  "),  // systemd keeps quoted blanks
        ("A =  B", "B"), ("A=", ""), ("A=\"\"", ""), ("A=''", ""), ("A=B C", "B C"), ("A=B\\ ", "B "),
        ("A=\\\"x", "\"x"), ("A=\"a\\$b\"", "a$b"), ("A=\"a\\nb\"", "a\\nb"), ("A=\"a\\\\b\"", "a\\b"),
        ("A='a\\b'", "a\\b"), ("A='x\ny'", "x\ny"), ("A=\"x\ny\"", "x\ny"), ("A=a\\\nb", "ab"),
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
            C="multi
            line"
            """
        let e = try EnvironmentFile.parse(text)
        #expect(e.names == ["A", "B", "C"])
        #expect(e["A"] == "3")
        #expect(e["C"] == "multi\nline")
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

    @Test func writerRoundTripsHostileValues() throws {
        let vars = hostileValues.enumerated().map { EnvironmentVariable(name: "V\($0.offset)", value: $0.element) }
        let e = try Environment(vars)
        let text = EnvironmentFile.render(e)
        #expect(try EnvironmentFile.parse(text) == e)
        #expect(text.hasPrefix("V0=\"\"\nV1=\" \"\n"))
    }

    @Test func writerRoundTripsRandomValues() throws {
        let alphabet = Array(" \t\n\r\"'\\$`%#;=abcXYZ09é✓🚢\u{1}\u{7f}")
        for _ in 0..<300 {
            var e = Environment()
            for i in 0..<Int.random(in: 1...8) {
                let value = String((0..<Int.random(in: 0...30)).map { _ in alphabet.randomElement()! })
                try e.set(EnvironmentVariable(name: "R\(i)", value: value))
            }
            #expect(try EnvironmentFile.parse(EnvironmentFile.render(e)) == e)
        }
    }

    @Test func writeAndReadAFile() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let e = try Environment([EnvironmentVariable(name: "SECRET", value: "x\ny")])
        let path = tmp.path + "/environment"
        try EnvironmentFile.write(e, to: path)
        #expect(try EnvironmentFile.read(from: path) == e)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
