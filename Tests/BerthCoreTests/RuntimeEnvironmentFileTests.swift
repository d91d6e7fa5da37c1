import Foundation
import Testing
@testable import BerthCore

/// The container's stored environment, in the runtime's `--env-file` format.
@Suite struct RuntimeEnvironmentFileTests {
    @Test func rendersOneLiteralLinePerVariable() throws {
        let e = try Environment([EnvironmentVariable(name: "A", value: #" "q" $x %n \ "#),
                                 EnvironmentVariable(name: "PATH", value: "/nowhere"),
                                 EnvironmentVariable(name: "EMPTY", value: "")])
        #expect(RuntimeEnvironmentFile.render(e)
                == RuntimeEnvironmentFile.header + "\n" + #"A= "q" $x %n \ "# + "\nPATH=/nowhere\nEMPTY=\n")
    }

    @Test func roundTripsHostileValues() throws {
        let vars = hostileValues.enumerated().map { EnvironmentVariable(name: "V\($0.offset)", value: $0.element) }
        let e = try Environment(vars)
        #expect(try RuntimeEnvironmentFile.parse(bytes: Array(RuntimeEnvironmentFile.render(e).utf8)) == e)
    }

    @Test func roundTripsRandomValues() throws {
        let alphabet = Array(" \t\"'\\$`%#;=abcXYZ09é✓🚢\u{1}\u{7f}\u{2028}")
        for _ in 0..<300 {
            var e = Environment()
            for i in 0..<Int.random(in: 1...8) {
                let value = String((0..<Int.random(in: 0...30)).map { _ in alphabet.randomElement()! })
                try e.set(EnvironmentVariable(name: "R\(i)", value: value))
            }
            #expect(try RuntimeEnvironmentFile.parse(bytes: Array(RuntimeEnvironmentFile.render(e).utf8)) == e)
        }
    }

    /// The reader's bound admits the largest environment the rules allow: the most variables, each
    /// of the longest name and value (the text is built directly; rendering it is checked above).
    @Test func theLargestEnvironmentFitsTheBound() throws {
        let line = String(repeating: "N", count: EnvironmentVariable.maxNameBytes) + "="
            + String(repeating: "v", count: EnvironmentVariable.maxValueBytes) + "\n"
        let largest = RuntimeEnvironmentFile.header.utf8.count + 1 + Environment.maxVariables * line.utf8.count
        #expect(largest <= RuntimeEnvironmentFile.maxBytes)
        var many = RuntimeEnvironmentFile.header + "\n"
        for i in 0..<Environment.maxVariables { many += "V\(i)=x\n" }
        #expect(try RuntimeEnvironmentFile.parse(bytes: Array(many.utf8)).count == Environment.maxVariables)
    }

    @Test func lineBreaksAreRefusedEverywhereAVariableIsMade() {
        for value in lineBreakValues {
            #expect(throws: EnvironmentError.self) { try EnvironmentVariable(name: "A", value: value).validate() }
            #expect(throws: EnvironmentError.self) { try Environment([EnvironmentVariable(name: "A", value: value)]) }
        }
    }

    /// Files written before the node used this format are in systemd's syntax and still read.
    @Test func readsTheOlderSystemdSyntax() throws {
        let old = "A=\"x \\\"y\\\" \\$z\"\nB=\"\"\n"
        let e = try RuntimeEnvironmentFile.parse(bytes: Array(old.utf8))
        #expect(e.variables == [EnvironmentVariable(name: "A", value: #"x "y" $z"#), EnvironmentVariable(name: "B", value: "")])
    }

    @Test(arguments: ["NOEQUALS\n", "1A=x\n", "A=\u{0}\n"])
    func damagedLinesNameTheirLine(_ line: String) {
        do {
            _ = try RuntimeEnvironmentFile.parse(bytes: Array((RuntimeEnvironmentFile.header + "\nOK=1\n" + line).utf8))
            Issue.record("accepted \(String(reflecting: line))")
        } catch {
            #expect(error.line == 3, "\(error)")
        }
    }

    @Test func writeAndReadAFile() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let e = try Environment([EnvironmentVariable(name: "SECRET", value: "x y")])
        let path = tmp.path + "/environment"
        try RuntimeEnvironmentFile.write(e, to: path)
        #expect(try RuntimeEnvironmentFile.read(from: path) == e)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
