import Testing
import BerthFuzzChecks
import BerthProtocol

@Test func writesCompactSortedOutput() throws {
    let v: JSONValue = ["b": 1, "a": [true, nil, 2.5], "c": ["z": "y", "x": "w"]]
    #expect(text(v.serialized()) == #"{"a":[true,null,2.5],"b":1,"c":{"x":"w","z":"y"}}"#)
}

@Test func escapesControlCharactersAndNeverEmitsNewlines() throws {
    var all = ""
    for c in 0..<0x20 { all.unicodeScalars.append(Unicode.Scalar(UInt8(c))) }
    all += "\"\\/é😀\u{7F}\u{2028}"
    let out = JSONValue.string(all).serialized()
    #expect(!out.contains(0x0A))
    #expect(!out.contains(0x0D))
    #expect(!out.contains(where: { $0 < 0x20 }))
    let s = text(out)
    #expect(s.hasPrefix(#""\u0000\u0001"#))
    #expect(s.contains(#"\b\t\n\u000b\f\r"#))
    #expect(s.contains(#"\"\\/é😀"#))  // no escaped slash, UTF-8 kept
    #expect(try JSONParser.parse(out) == .string(all))
}

@Test func numbersRoundTripExactly() throws {
    let values: [JSONValue] = [.int(0), .int(-1), .int(Int64.max), .int(Int64.min), .double(0.1), .double(-0.0),
                               .double(1e-5), .double(1e20), .double(1.7976931348623157e308), .double(.leastNonzeroMagnitude), .double(3)]
    for v in values {
        let out = v.serialized()
        #expect(try JSONParser.parse(out) == v, "\(text(out))")
    }
    #expect(text(JSONValue.int(Int64.min).serialized()) == "-9223372036854775808")
    #expect(text(JSONValue.double(3).serialized()) == "3.0")
    #expect(text(JSONValue.double(.nan).serialized()) == "null")
}

@Test func randomValuesRoundTrip() throws {
    var rng = SplitMix64(seed: 3)
    func randomValue(_ depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: .min ... .max, using: &rng))
        case 3: return .double(Double.random(in: -1e10...1e10, using: &rng))
        case 4:
            let scalars = (0..<Int.random(in: 0...8, using: &rng)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0...0x1_0FFF, using: &rng))
            }
            var s = ""
            s.unicodeScalars.append(contentsOf: scalars)
            return .string(s)
        case 5: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(depth + 1) })
        default:
            var o: [String: JSONValue] = [:]
            for k in 0..<Int.random(in: 0...4, using: &rng) { o["k\(k)\(Int.random(in: 0...9, using: &rng))"] = randomValue(depth + 1) }
            return .object(o)
        }
    }
    for _ in 0..<2_000 {
        let v = randomValue(0)
        let out = v.serialized()
        #expect(!out.contains(0x0A))
        #expect(try JSONParser.parse(out) == v)
    }
}
