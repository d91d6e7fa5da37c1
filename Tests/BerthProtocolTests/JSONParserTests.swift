import Testing
import BerthFuzzChecks
import BerthProtocol

@Test func parsesEveryKindOfValue() throws {
    let v = try json(#" { "n": null, "t": true, "f": false, "i": -42, "d": 2.5e1, "s": "h\u00e9\n", "a": [1, [], {}], "o": {"k": "v"} } "#)
    #expect(v == .object([
        "n": .null, "t": .bool(true), "f": .bool(false), "i": .int(-42), "d": .double(25),
        "s": .string("hé\n"), "a": .array([.int(1), .array([]), .object([:])]), "o": .object(["k": .string("v")]),
    ]))
}

@Test func integersStayExactAndOthersAreDoubles() throws {
    #expect(try json("9223372036854775807") == .int(Int64.max))
    #expect(try json("-9223372036854775808") == .int(Int64.min))
    #expect(try json("9223372036854775808") == .double(9223372036854775808))
    #expect(try json("1.0") == .double(1))
    #expect(try json("1e2") == .double(100))
    #expect(try json("-0") == .int(0))
    #expect(try json("0.1") == .double(0.1))
    #expect(try json("12345678901234567") == .int(12345678901234567))
}

@Test(arguments: [
    "", " ", "01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "-Infinity", "1e400",
    "tru", "nul", "True", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "{'a':1}", "\"abc",
    "\"\\x\"", "\"\\u12\"", "\"\\uD800\"", "\"\\uDC00\"", "\"\\uD800\\u0041\"", "[", "]", "{", "}",
    "1 2", "{} {}", "\"a\tb\"", "\"a\nb\"", "// c\n1", "\u{FEFF}1", "{\"a\":1,\"a\":2}",
])
func refusesInvalidJSON(_ input: String) {
    #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
}

@Test func errorsNameTheirOffsetAndReason() {
    do {
        _ = try JSONParser.parse(#"{"a": 1, "a": 2}"#)
        Issue.record("duplicate keys accepted")
    } catch {
        #expect(error.offset == 9)
        #expect(error.reason.contains("duplicate key"))
    }
    do {
        _ = try JSONParser.parse("[1, 2, x]")
        Issue.record("accepted garbage")
    } catch {
        #expect(error.offset == 7)
        #expect(error.description.contains("'x'"))
    }
}

@Test func decodesEscapesAndSurrogatePairs() throws {
    #expect(try json(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
    #expect(try json(#""\ud83d\ude00 \u00E9 \u0000""#) == .string("😀 é \u{0}"))
    #expect(try json("\"😀 é\"") == .string("😀 é"))
}

@Test(arguments: [
    [0x22, 0xFF, 0x22],                   // never valid in UTF-8
    [0x22, 0xC0, 0xAF, 0x22],             // overlong '/'
    [0x22, 0xE0, 0x80, 0xAF, 0x22],       // overlong 3-byte
    [0x22, 0xED, 0xA0, 0x80, 0x22],       // encoded surrogate U+D800
    [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], // above U+10FFFF
    [0x22, 0xC3, 0x22],                   // truncated sequence
    [0x22, 0x80, 0x22],                   // lone continuation byte
    [0xC3, 0xA9],                         // non-ASCII outside a string
] as [[UInt8]])
func refusesInvalidUTF8(_ input: [UInt8]) {
    #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
}

@Test func acceptsEveryValidUTF8Length() throws {
    let s = "a é € 😀 \u{10FFFF}"
    #expect(try JSONParser.parse(Array("\"\(s)\"".utf8)) == .string(s))
}

@Test func refusesNestingDeeperThanTheLimit() throws {
    let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
    #expect(throws: Never.self) { try JSONParser.parse(ok) }
    let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
    #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    let objects = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
    #expect(throws: JSONParseError.self) { try JSONParser.parse(objects) }
    // A hostile line far deeper than any stack would take is refused, not a crash.
    let hostile = String(repeating: "[", count: 1_000_000)
    #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
    #expect(throws: Never.self) { try JSONParser.parse("[[[1]]]", maxDepth: 3) }
    #expect(throws: JSONParseError.self) { try JSONParser.parse("[[[1]]]", maxDepth: 2) }
}

@Test func randomBytesNeverCrashTheParser() {
    var rng = SplitMix64(seed: 7)
    let alphabet = Array(#"{}[]:,"\\/ntfrue0123456789.-+eE aé"#.utf8) + [0x00, 0x0A, 0xFF, 0xC3, 0xED, 0xF4]
    var parsed = 0
    for _ in 0..<20_000 {
        let length = Int.random(in: 0...40, using: &rng)
        let input: [UInt8] = (0..<length).map { _ in
            Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        }
        if let v = try? JSONParser.parse(input) {
            parsed += 1
            // Whatever parses must survive a round trip.
            #expect((try? JSONParser.parse(v.serialized())) == v)
        }
    }
    #expect(parsed > 0)
}

@Test func mutatedValidDocumentsNeverCrashTheParser() {
    var rng = SplitMix64(seed: 9)
    let seed = Array(#"{"jsonrpc":"2.0","id":[1,2.5,"x"],"method":"node.ping","params":{"echo":"h\u00e9\n\ud83d\ude00"}}"#.utf8)
    for _ in 0..<20_000 {
        var input = seed
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let i = Int.random(in: 0..<input.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: input[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: input.remove(at: i)
            default: input.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            }
        }
        if let v = try? JSONParser.parse(input) {
            #expect((try? JSONParser.parse(v.serialized())) == v)
        }
    }
}
