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

    /// Whatever `Environment` holds, its file is read back as the same environment: the writer's
    /// bounds (variables, characters, bytes in all) and the reader's agree. (Once an environment was
    /// accepted and written that the reader then refused, so env.get/set/patch failed for good.)
    @Test(arguments: ["v", "é", "😀", "$", "\"", "\u{1}"])
    func theLargestEnvironmentsRoundTrip(_ filler: String) throws {
        var environment = Environment()
        var i = 0
        while true {
            let name = "V\(i)"
            let room = Environment.maxBytes - environment.byteCount - name.utf8.count - 2
            let count = min(EnvironmentVariable.maxValueCharacters, room / filler.utf8.count)
            guard count > 0, environment.count < Environment.maxVariables else { break }
            try environment.set(EnvironmentVariable(name: name, value: String(repeating: filler, count: count)))
            i += 1
        }
        #expect(Environment.maxBytes - environment.byteCount < 16)
        let text = RuntimeEnvironmentFile.render(environment)
        #expect(text.utf8.count <= RuntimeEnvironmentFile.maxBytes)
        #expect(try RuntimeEnvironmentFile.parse(bytes: Array(text.utf8)) == environment)
        // One byte more than the bound is refused, and refusing changes nothing.
        var full = environment
        if Environment.maxBytes - full.byteCount >= 3 {
            try full.set(EnvironmentVariable(name: "Z", value: String(repeating: "z", count: Environment.maxBytes - full.byteCount - 3)))
            #expect(full.byteCount == Environment.maxBytes)
            #expect(throws: EnvironmentError.self) { try full.set(EnvironmentVariable(name: "Z", value: full["Z"]! + "z")) }
        }
        let before = full
        let left = Environment.maxBytes - full.byteCount
        #expect(throws: EnvironmentError.self) { try full.set(EnvironmentVariable(name: "Y", value: String(repeating: "y", count: left))) }
        #expect(full == before)
    }

    /// The most variables, and the longest name with the longest value in four-byte characters.
    @Test func theWidestVariablesRoundTrip() throws {
        var many = Environment()
        for i in 0..<Environment.maxVariables { try many.set(EnvironmentVariable(name: "V\(i)", value: "x")) }
        #expect(throws: EnvironmentError.self) { try many.set(EnvironmentVariable(name: "ONE_MORE", value: "")) }
        #expect(try RuntimeEnvironmentFile.parse(bytes: Array(RuntimeEnvironmentFile.render(many).utf8)) == many)
        let wide = try Environment([EnvironmentVariable(name: String(repeating: "N", count: EnvironmentVariable.maxNameBytes),
                                                        value: String(repeating: "😀", count: EnvironmentVariable.maxValueCharacters))])
        #expect(try RuntimeEnvironmentFile.parse(bytes: Array(RuntimeEnvironmentFile.render(wide).utf8)) == wide)
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
