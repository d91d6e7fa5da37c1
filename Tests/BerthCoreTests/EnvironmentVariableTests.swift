import Foundation
import Testing
@testable import BerthCore

@Suite struct EnvironmentVariableTests {
    /// geard's table for the one-line form.
    @Test(arguments: [
        ("A=B", "A", "B"), ("A=\"B\"", "A", "B"), ("A='B'", "A", "B"), ("  A=B", "A", "B"), ("  A=B  ", "A", "B"),
        ("A=\"'B'\"", "A", "'B'"), ("A=\"'B  '\"", "A", "'B  '"), ("A=\"B  \"", "A", "B"),
        ("A=", "A", ""), ("A=B=C", "A", "B=C"), ("A =B", "A", "B"), ("A=\"B", "A", "\"B"), ("_x1=y", "_x1", "y"),
    ])
    func oneLineForm(_ line: String, _ name: String, _ value: String) throws {
        let v = try EnvironmentVariable(line: line)
        #expect(v == EnvironmentVariable(name: name, value: value))
    }

    @Test(arguments: ["B", "=B", "1A=B", "A B=C", "A-B=C", "A.B=C", "A\nB=C", "Ä=B", "A\tB=C"])
    func oneLineFormRefusesBadNames(_ line: String) {
        #expect(throws: EnvironmentError.self) { try EnvironmentVariable(line: line) }
    }

    @Test func limits() throws {
        let longName = String(repeating: "N", count: EnvironmentVariable.maxNameBytes)
        try EnvironmentVariable(name: longName, value: "").validate()
        #expect(throws: EnvironmentError.self) { try EnvironmentVariable(name: longName + "N", value: "").validate() }
        let longValue = String(repeating: "v", count: EnvironmentVariable.maxValueCharacters)
        try EnvironmentVariable(name: "A", value: longValue).validate()
        #expect(throws: EnvironmentError.self) { try EnvironmentVariable(name: "A", value: longValue + "v").validate() }
        // Characters, as the contract's maxLength counts them: the longest value in four-byte
        // characters passes, one more character does not.
        let wide = String(repeating: "😀", count: EnvironmentVariable.maxValueCharacters)
        try EnvironmentVariable(name: "A", value: wide).validate()
        #expect(throws: EnvironmentError.self) { try EnvironmentVariable(name: "A", value: wide + "é").validate() }
        #expect(throws: EnvironmentError.self) { try EnvironmentVariable(name: "A", value: "a\u{0}b").validate() }
        #expect(throws: EnvironmentError.self) { try EnvironmentVariable(name: "", value: "x").validate() }
    }

    @Test func codableValidates() throws {
        let v = EnvironmentVariable(name: "A", value: "x \"y\" $z")
        let data = try JSONEncoder().encode(v)
        #expect(try JSONDecoder().decode(EnvironmentVariable.self, from: data) == v)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EnvironmentVariable.self, from: Data(#"{"name":"A=B","value":"x"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EnvironmentVariable.self, from: Data(#"{"name":"A","value":"x\ny"}"#.utf8))
        }
    }
}

@Suite struct EnvironmentTests {
    func env(_ pairs: [(String, String)]) throws -> Environment {
        try Environment(pairs.map { EnvironmentVariable(name: $0.0, value: $0.1) })
    }

    @Test func duplicatesCollapseLastWinsOrderKept() throws {
        let e = try env([("A", "1"), ("B", "2"), ("A", "3"), ("C", "4")])
        #expect(e.names == ["A", "B", "C"])
        #expect(e["A"] == "3")
        #expect(e.dictionary == ["A": "3", "B": "2", "C": "4"])
    }

    @Test func patchSetsUnsetsAndKeepsOrder() throws {
        let e = try env([("A", "1"), ("B", "2"), ("C", "3")])
        let patched = try e.applying(EnvironmentPatch(
            set: [EnvironmentVariable(name: "B", value: "20"), EnvironmentVariable(name: "D", value: "4")],
            unset: ["A", "Z"]))
        #expect(patched.variables == [EnvironmentVariable(name: "B", value: "20"), EnvironmentVariable(name: "C", value: "3"),
                                      EnvironmentVariable(name: "D", value: "4")])
        #expect(e.count == 3)  // the original is unchanged
    }

    @Test func badPatchChangesNothing() throws {
        let e = try env([("A", "1")])
        #expect(throws: EnvironmentError.self) {
            try e.applying(EnvironmentPatch(set: [EnvironmentVariable(name: "A", value: "2")], unset: ["A"]))
        }
        #expect(throws: EnvironmentError.self) {
            try e.applying(EnvironmentPatch(set: [EnvironmentVariable(name: "OK", value: "1"), EnvironmentVariable(name: "bad name", value: "")]))
        }
        #expect(throws: EnvironmentError.self) { try e.applying(EnvironmentPatch(unset: ["a=b"])) }
        #expect(e["A"] == "1" && e.count == 1)
    }

    @Test func variableCountLimit() throws {
        var e = Environment()
        for i in 0..<Environment.maxVariables { try e.set(EnvironmentVariable(name: "V\(i)", value: "")) }
        #expect(throws: EnvironmentError.self) { try e.set(EnvironmentVariable(name: "ONE_MORE", value: "")) }
        try e.set(EnvironmentVariable(name: "V0", value: "replacing is fine"))
    }

    @Test func codableIsAnOrderedArray() throws {
        let e = try env([("B", "1"), ("A", "2")])
        let data = try JSONEncoder().encode(e)
        #expect(String(decoding: data, as: UTF8.self).contains(#""name":"B""#))
        #expect(try JSONDecoder().decode(Environment.self, from: data) == e)
        let patch = try JSONDecoder().decode(EnvironmentPatch.self, from: Data(#"{"unset":["A"]}"#.utf8))
        #expect(patch == EnvironmentPatch(unset: ["A"]))
    }

    @Test func descriptionValidatesSource() throws {
        for good in ["http://127.0.0.1:8080/env", "https://example.com/x?y=1", "HTTP://h"] {
            try EnvironmentDescription(source: good).validate()
        }
        for bad in ["file:///etc/passwd", "ftp://h/x", "gopher://h", "http://", "https:///x", "http://h/a b", "/etc/passwd", "h:80"] {
            #expect(throws: EnvironmentError.self, "\(bad)") { try EnvironmentDescription(source: bad).validate() }
        }
        #expect(EnvironmentDescription().isEmpty)
        #expect(!EnvironmentDescription(source: "http://h").isEmpty)
        let d = EnvironmentDescription(variables: try env([("A", "1")]), source: "http://h/e", id: try Identifier("web"))
        #expect(try JSONDecoder().decode(EnvironmentDescription.self, from: JSONEncoder().encode(d)) == d)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EnvironmentDescription.self, from: Data(#"{"source":"file:///etc/shadow"}"#.utf8))
        }
    }
}
