import Testing
import BerthFuzzChecks
@testable import BerthDBus
@testable import BerthSystemd

/// Messages captured from a real systemd 252 private manager (FixtureCaptureTests): each must decode,
/// mean what systemd meant, and encode back to exactly the bytes systemd sent.
@Suite struct FixtureTests {
    static let names = ["getall-service-reply.bin", "getall-unit-reply.bin", "jobremoved-signal.bin", "listunits-reply.bin",
                        "nosuchunit-error.bin", "propertieschanged-signal.bin"]

    @Test(arguments: names) func decodesAndReencodesByteForByte(_ name: String) throws {
        let bytes = try fixture(name)
        let message = try DBusMessage(decoding: bytes)
        #expect(try message.encoded() == bytes)
        // A field-order-blind rebuild encodes to a valid message with the same meaning.
        var rebuilt = DBusMessage(type: message.type, flags: message.flags, serial: message.serial, path: message.path,
                                  interface: message.interface, member: message.member, errorName: message.errorName,
                                  replySerial: message.replySerial, destination: message.destination, sender: message.sender,
                                  body: message.body)
        rebuilt.unixFDs = message.unixFDs
        #expect(try DBusMessage(decoding: try rebuilt.encoded()) == message)
    }

    @Test func jobRemovedSignal() throws {
        let message = try DBusMessage(decoding: try fixture("jobremoved-signal.bin"))
        #expect(message.type == .signal)
        #expect(message.path == "/org/freedesktop/systemd1")
        #expect(message.interface == "org.freedesktop.systemd1.Manager")
        #expect(message.signature == "uoss")
        let job = try #require(SystemdJobRemoved(message))
        #expect(job.unit == "berth-capture.service")
        #expect(job.result == "done")
        #expect(job.jobPath == "/org/freedesktop/systemd1/job/\(job.id)")
    }

    @Test func getAllReplies() throws {
        let unit = try DBusMessage(decoding: try fixture("getall-unit-reply.bin"))
        #expect(unit.type == .methodReturn)
        #expect(unit.signature == "a{sv}")
        let properties = try #require(unit.body.first?.stringDictValue)
        #expect(properties["Id"]?.stringValue == "berth-capture.service")
        #expect(properties["ActiveState"]?.stringValue == "active")
        #expect(properties["LoadState"]?.stringValue == "loaded")
        #expect(properties.count > 50)
        let service = try DBusMessage(decoding: try fixture("getall-service-reply.bin"))
        let serviceProperties = try #require(service.body.first?.stringDictValue)
        #expect((serviceProperties["MainPID"]?.integerValue ?? 0) > 0)
        #expect(serviceProperties["Result"]?.stringValue == "success")
        // ExecStart is a(sasbttttuii): arrays of structs inside a variant, the deepest thing systemd sends.
        #expect(serviceProperties["ExecStart"]?.type.signature == "v")
        #expect(serviceProperties["ExecStart"]?.unwrapped.type.signature == "a(sasbttttuii)")
    }

    @Test func listUnitsAndErrors() throws {
        let list = try DBusMessage(decoding: try fixture("listunits-reply.bin"))
        let rows = try #require(list.body.first?.arrayValue).compactMap(SystemdUnitStatus.init)
        #expect(rows.map(\.name).contains("berth-capture.service"))
        let error = try DBusMessage(decoding: try fixture("nosuchunit-error.bin"))
        #expect(error.error?.name == "org.freedesktop.systemd1.NoSuchUnit")
        #expect(error.error?.message.contains("berth-missing.service") == true)
    }

    @Test func propertiesChangedSignal() throws {
        let message = try DBusMessage(decoding: try fixture("propertieschanged-signal.bin"))
        let change = try #require(SystemdUnitStateChange(message))
        #expect(change.unit == "berth-capture.service")
        #expect(change.interface == "org.freedesktop.systemd1.Unit")
        #expect(change.activeState != nil)
    }

    @Test func mutatedFixturesNeverCrash() throws {
        var rng = SplitMix64(seed: 42)
        var errors = 0
        for name in Self.names {
            let original = try fixture(name)
            for _ in 0..<300 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                do { _ = try DBusMessage(decoding: bytes) } catch is DBusProtocolError { errors += 1 }
            }
        }
        #expect(errors > 0)
    }
}

@Suite struct FramerTests {
    func stream() throws -> ([UInt8], [[UInt8]]) {
        let frames = try FixtureTests.names.map(fixture)
        return (frames.flatMap { $0 }, frames)
    }

    func feed(_ bytes: [UInt8], chunks: [Int]) throws -> [[UInt8]] {
        var framer = DBusFramer()
        var out: [[UInt8]] = []
        var offset = 0
        var i = 0
        while offset < bytes.count {
            let size = min(chunks[i % chunks.count], bytes.count - offset)
            framer.append(bytes[offset..<(offset + size)])
            offset += size
            i += 1
            while let frame = try framer.nextFrame() { out.append(frame) }
        }
        #expect(framer.bufferedCount == 0)
        return out
    }

    @Test func wholeByteByByteAndRandomChunks() throws {
        let (bytes, frames) = try stream()
        #expect(try feed(bytes, chunks: [bytes.count]) == frames)
        #expect(try feed(bytes, chunks: [1]) == frames)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<50 {
            let chunks = (0..<16).map { _ in Int.random(in: 1...700, using: &rng) }
            #expect(try feed(bytes, chunks: chunks) == frames)
        }
    }

    @Test func oversizedOrForeignStreamsFailAtTheHeader() throws {
        var framer = DBusFramer(maximumLength: 1024)
        framer.append([UInt8(ascii: "l"), 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0])  // body of 64 KiB
        let error = #expect(throws: DBusProtocolError.self) { try framer.nextFrame() }
        #expect(error?.message.contains("over the limit") == true)
        var foreign = DBusFramer()
        foreign.append(Array("HTTP/1.1 200 OK\r\n".utf8))
        #expect(throws: DBusProtocolError.self) { try foreign.nextFrame() }
        var partial = DBusFramer()
        partial.append([UInt8(ascii: "l"), 1, 0])
        #expect(try partial.nextFrame() == nil)
    }

    @Test func messageHeaderRules() throws {
        var call = DBusMessage.methodCall(path: "/a", interface: "a.b", member: "M")
        #expect(throws: DBusProtocolError.self) { try call.encoded() }  // serial 0
        call.serial = 1
        _ = try call.encoded()
        call.member = "1bad"
        #expect(throws: DBusProtocolError.self) { try call.encoded() }
        var signal = DBusMessage.signal(path: "/a", interface: "nodot", member: "M")
        signal.serial = 1
        #expect(throws: DBusProtocolError.self) { try signal.encoded() }
        var reply = DBusMessage(type: .methodReturn, serial: 1)
        #expect(throws: DBusProtocolError.self) { try reply.encoded() }  // no REPLY_SERIAL
        reply.replySerial = 9
        let decoded = try DBusMessage(decoding: try reply.encoded())
        #expect(decoded.replySerial == 9)
    }
}
