import Testing
import BerthFuzzChecks
@testable import BerthDBus

@Suite struct MarshallingTests {
    func bytes(_ values: [DBusValue]) throws -> [UInt8] {
        var writer = DBusWriter()
        try writer.write(values)
        return writer.bytes
    }

    func decode(_ bytes: [UInt8], _ signature: String) throws -> [DBusValue] {
        var reader = DBusReader(bytes)
        let values = try reader.readValues(try DBusType.parse(signature))
        #expect(reader.isAtEnd)
        return values
    }

    @Test func basicTypesAreLittleEndianAndAligned() throws {
        #expect(try bytes([.byte(1), .uint32(2)]) == [1, 0, 0, 0, 2, 0, 0, 0])
        #expect(try bytes([.byte(1), .int16(-2)]) == [1, 0, 0xFE, 0xFF])
        #expect(try bytes([.byte(1), .uint64(0x0102_0304_0506_0708)]) == [1, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1])
        #expect(try bytes([.boolean(true)]) == [1, 0, 0, 0])
        #expect(try bytes([.double(1.0)]) == [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        #expect(try bytes([.string("ab")]) == [2, 0, 0, 0, 97, 98, 0])
        #expect(try bytes([.signature("as")]) == [2, 97, 115, 0])
        #expect(try bytes([.objectPath("/a")]) == [2, 0, 0, 0, 47, 97, 0])
    }

    @Test func containersAlignTheirContents() throws {
        // An empty array of 8-aligned elements still pads to 8 after its length, and the length
        // counts only the elements.
        #expect(try bytes([.array(element: .int64, [])]) == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try bytes([.array(element: .int64, [.int64(1)])]) == [8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
        #expect(try bytes([.byte(9), .array(element: .byte, [])]) == [9, 0, 0, 0, 0, 0, 0, 0])
        #expect(try bytes([.byte(1), .structure([.byte(2)])]) == [1, 0, 0, 0, 0, 0, 0, 0, 2])
        #expect(try bytes([.variant(.uint32(5))]) == [1, 117, 0, 0, 5, 0, 0, 0])
        let dict = DBusValue.dict(key: .string, value: .variant, [(.string("a"), .variant(.byte(7)))])
        #expect(try bytes([dict]) == [10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 97, 0, 1, 121, 0, 7])
        #expect(try decode(try bytes([dict]), "a{sv}") == [dict])
    }

    @Test func encodingRefusesValuesTheWireCannotCarry() {
        #expect(throws: DBusProtocolError.self) { try bytes([.array(element: .string, [.uint32(1)])]) }
        #expect(throws: DBusProtocolError.self) { try bytes([.objectPath("no/slash")]) }
        #expect(throws: DBusProtocolError.self) { try bytes([.objectPath("/trailing/")]) }
        #expect(throws: DBusProtocolError.self) { try bytes([.string("nul\u{0}inside")]) }
        #expect(throws: DBusProtocolError.self) { try bytes([.structure([])]) }
        #expect(throws: DBusProtocolError.self) { try bytes([.signature("a{")]) }
    }

    @Test func hostileBytesAreErrorsNotCrashes() throws {
        #expect(throws: DBusProtocolError.self) { try decode([2, 0, 0, 0], "b") }                      // boolean 2
        #expect(throws: DBusProtocolError.self) { try decode([3, 0, 0, 0, 97, 98], "s") }              // truncated
        #expect(throws: DBusProtocolError.self) { try decode([1, 0, 0, 0, 0xFF, 0], "s") }             // bad UTF-8
        #expect(throws: DBusProtocolError.self) { try decode([1, 0, 0, 0, 97, 1], "s") }               // no NUL
        #expect(throws: DBusProtocolError.self) { try decode([1, 1, 0, 0, 5, 0, 0, 0], "yu") }         // non-zero padding
        #expect(throws: DBusProtocolError.self) { try decode([0xFF, 0xFF, 0xFF, 0x7F], "ay") }         // huge array
        #expect(throws: DBusProtocolError.self) { try decode([1, 0, 0, 0, 5, 0, 0, 0], "au") }         // overrun
        #expect(throws: DBusProtocolError.self) { try decode([2, 0, 0, 0, 47, 47, 0], "o") }           // bad path
        #expect(throws: DBusProtocolError.self) { try decode([2, 97, 123, 0], "g") }                    // bad signature
        // A variant inside a variant, 100 deep: refused by the depth limit, not by a stack overflow.
        var nested: [UInt8] = []
        for _ in 0..<100 { nested += [1, 118, 0] }
        nested += [1, 121, 0, 7]
        let error = #expect(throws: DBusProtocolError.self) { try decode(nested, "v") }
        #expect(error?.message.contains("deeper") == true)
    }

    @Test func randomValuesRoundTrip() throws {
        var rng = SplitMix64(seed: 0xDB05)
        for round in 0..<400 {
            let count = Int.random(in: 1...4, using: &rng)
            let values = (0..<count).map { _ in RandomValue.make(depth: 0, using: &rng) }
            let lead = Int.random(in: 0...1, using: &rng) == 1
            let all = (lead ? [DBusValue.byte(0xAB)] : []) + values
            let encoded = try bytes(all)
            let decoded = try decode(encoded, all.map(\.type.signature).joined())
            #expect(decoded == all, "round \(round)")
            // And inside a whole message, through the framer.
            var message = DBusMessage.signal(path: "/p", interface: "a.b", member: "M", body: all)
            message.serial = UInt32(round + 1)
            let wire = try message.encoded()
            #expect(try DBusMessage(decoding: wire) == message)
            if round % 40 == 0 {
                // Every truncation of a valid message is an error.
                for cut in stride(from: 0, to: wire.count, by: max(1, wire.count / 30)) {
                    #expect(throws: DBusProtocolError.self) { try DBusMessage(decoding: Array(wire[..<cut])) }
                }
            }
        }
    }
}

/// Random values of random types, nested a few levels, for round-trip tests.
enum RandomValue {
    static func make(depth: Int, using rng: inout SplitMix64) -> DBusValue {
        let choice = Int.random(in: 0..<(depth >= 3 ? 12 : 17), using: &rng)
        switch choice {
        case 0: return .byte(UInt8.random(in: .min ... .max, using: &rng))
        case 1: return .boolean(Bool.random(using: &rng))
        case 2: return .int16(Int16.random(in: .min ... .max, using: &rng))
        case 3: return .uint16(UInt16.random(in: .min ... .max, using: &rng))
        case 4: return .int32(Int32.random(in: .min ... .max, using: &rng))
        case 5: return .uint32(UInt32.random(in: .min ... .max, using: &rng))
        case 6: return .int64(Int64.random(in: .min ... .max, using: &rng))
        case 7: return .uint64(UInt64.random(in: .min ... .max, using: &rng))
        case 8: return .double(Double(Int32.random(in: .min ... .max, using: &rng)) / 7)
        case 9: return .string(String((0..<Int.random(in: 0...12, using: &rng)).map { _ in "aé✓z-_ ".randomElement(using: &rng)! }))
        case 10: return .objectPath(["/", "/a", "/org/freedesktop/systemd1/unit/x_2eservice"].randomElement(using: &rng)!)
        case 11: return .signature(["", "a{sv}", "(uo)"].randomElement(using: &rng)!)
        case 12:
            let element = make(depth: depth + 1, using: &rng).type
            let values = (0..<Int.random(in: 0...3, using: &rng)).map { _ in sample(element, using: &rng) }
            return .array(element: element, values)
        case 13:
            return .structure((0..<Int.random(in: 1...3, using: &rng)).map { _ in make(depth: depth + 1, using: &rng) })
        case 14:
            let valueType = make(depth: depth + 1, using: &rng).type
            let pairs = (0..<Int.random(in: 0...3, using: &rng)).map { i in (DBusValue.string("k\(i)"), sample(valueType, using: &rng)) }
            return .dict(key: .string, value: valueType, pairs)
        default:
            return .variant(make(depth: depth + 1, using: &rng))
        }
    }

    /// A random value of a given type.
    static func sample(_ type: DBusType, using rng: inout SplitMix64) -> DBusValue {
        for _ in 0..<10_000 {
            let candidate = make(depth: 3, using: &rng)
            if candidate.type == type { return candidate }
        }
        switch type {
        case .array(let element): return .array(element: element, [])
        case .structure(let fields): return .structure(fields.map { sample($0, using: &rng) })
        case .dictEntry(let key, let value): return .dictEntry(key: sample(key, using: &rng), value: sample(value, using: &rng))
        case .variant: return .variant(.byte(1))
        default: return make(depth: 3, using: &rng)
        }
    }
}
