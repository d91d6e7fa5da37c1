#if canImport(Glibc)
import Glibc
#endif
import BerthSystem
import Testing
@testable import BerthDBus

/// A scripted D-Bus peer on a Unix socket: checks the handshake, then hands each message to `handle`,
/// writing back whatever it returns.
struct ScriptedPeer {
    static let guid = "0123456789abcdef0123456789abcdef"

    let directory: String
    let listener: Listener
    var path: String { directory + "/bus" }

    init() throws {
        directory = try makeTemporaryDirectory()
        listener = try Listener.unix(path: directory + "/bus")
    }

    func close() {
        listener.close()
        try? FileSystem.removeTree(directory)
    }

    /// Serves one client. `reply` "OK" answers the handshake; `handle` returns messages to send back.
    func serve(handshakeReply: String = "OK \(ScriptedPeer.guid)",
               handle: @Sendable (DBusMessage, Connection) async throws -> [DBusMessage]) async throws -> String {
        let connection = try await listener.accept()
        defer { connection.close() }
        var buffer: [UInt8] = []
        let begin = Array("BEGIN\r\n".utf8)
        while !(buffer.count >= begin.count && Array(buffer.suffix(begin.count)) == begin) {
            let chunk = try await connection.read()
            if chunk.isEmpty { return String(decoding: buffer, as: UTF8.self) }
            buffer += chunk
        }
        try await connection.write(Array((handshakeReply + "\r\n").utf8))
        var framer = DBusFramer()
        var serial: UInt32 = 1000
        while true {
            let chunk = try await connection.read()
            if chunk.isEmpty { break }
            framer.append(chunk)
            while let message = try framer.next() {
                for var answer in try await handle(message, connection) {
                    serial += 1
                    answer.serial = serial
                    try await connection.write(try answer.encoded())
                }
            }
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    static func reply(to call: DBusMessage, _ body: [DBusValue]) -> DBusMessage {
        DBusMessage(type: .methodReturn, replySerial: call.serial, body: body)
    }
}

extension SerializedTests {
    @Suite struct FakePeer {
        @Test func handshakeSendsOurUidAndCallsMatchRepliesBySerial() async throws {
            let peer = try ScriptedPeer()
            defer { peer.close() }
            let held = Lock<[DBusMessage]>([])
            async let served = peer.serve { message, _ in
                // Hold the first call and answer both once the second arrives: replies out of order.
                let calls = held.withLock { $0.append(message); return $0 }
                guard calls.count == 2 else { return [] }
                return [ScriptedPeer.reply(to: calls[1], [.string("second")]), ScriptedPeer.reply(to: calls[0], [.string("first")])]
            }
            let connection = try await DBusConnection.connect(path: peer.path)
            #expect(connection.serverGUID == ScriptedPeer.guid)
            async let a = connection.call(path: "/a", interface: "t.T", member: "One")
            try await Task.sleep(for: .milliseconds(50))
            async let b = connection.call(path: "/a", interface: "t.T", member: "Two")
            #expect(try await a == [.string("first")])
            #expect(try await b == [.string("second")])
            connection.close()
            let transcript = try await served
            let hexUid = String(getuid()).utf8.map { String($0, radix: 16) }.joined()
            #expect(transcript == "\0AUTH EXTERNAL \(hexUid)\r\nBEGIN\r\n")
        }

        @Test func errorsTimeoutsAndSignals() async throws {
            let peer = try ScriptedPeer()
            defer { peer.close() }
            async let served: String = peer.serve { message, _ in
                switch message.member {
                case "Fail":
                    return [DBusMessage(type: .error, errorName: "t.Error.Nope", replySerial: message.serial, body: [.string("no way")])]
                case "Silent":
                    return []
                case "Emit":
                    return [DBusMessage.signal(path: "/x/y", interface: "t.Signals", member: "Other"),
                            DBusMessage.signal(path: "/x/y", interface: "t.Signals", member: "Wanted", body: [.string("payload")]),
                            ScriptedPeer.reply(to: message, [])]
                default:
                    return [ScriptedPeer.reply(to: message, [.uint32(message.serial)])]
                }
            }
            let connection = try await DBusConnection.connect(path: peer.path)
            let error = await #expect(throws: DBusError.self) {
                try await connection.call(path: "/a", interface: "t.T", member: "Fail")
            }
            #expect(error == DBusError(name: "t.Error.Nope", message: "no way"))

            // The peer never answers Silent: NoReply says the call's own timeout ended it.
            let timeout = await #expect(throws: DBusError.self) {
                try await connection.call(path: "/a", interface: "t.T", member: "Silent", timeout: .milliseconds(200))
            }
            #expect(timeout?.name == DBusError.noReplyName)
            // Still usable after an error and a timeout.
            #expect(try await connection.call(path: "/a", interface: "t.T", member: "Echo").count == 1)

            let wanted = connection.messages(matching: DBusMatchRule(interface: "t.Signals", member: "Wanted", pathNamespace: "/x"))
            _ = try await connection.call(path: "/a", interface: "t.T", member: "Emit")
            var iterator = wanted.makeAsyncIterator()
            let signal = await iterator.next()
            #expect(signal?.member == "Wanted")
            #expect(signal?.body == [.string("payload")])
            connection.close()
            #expect(await iterator.next() == nil)
            _ = try await served
        }

        /// Once a call's reply is in, every matching signal sent before it is counted as delivered,
        /// consumed or not (what `EventHub.catchUp` relies on); signals the rule does not match are not.
        @Test func aReplyComesAfterTheSignalsSentBeforeIt() async throws {
            let peer = try ScriptedPeer()
            defer { peer.close() }
            async let served: String = peer.serve { message, _ in
                let count = Int(message.member?.dropFirst("Emit".count) ?? "") ?? 0
                return (0..<count).map { k in
                    DBusMessage.signal(path: "/x/y", interface: "t.Signals", member: k % 2 == 0 ? "Wanted" : "Other")
                } + [ScriptedPeer.reply(to: message, [])]
            }
            let connection = try await DBusConnection.connect(path: peer.path)
            let wanted = connection.subscription(matching: DBusMatchRule(interface: "t.Signals", member: "Wanted", pathNamespace: "/x"))
            #expect(wanted.delivered == 0)
            _ = try await connection.call(path: "/a", interface: "t.T", member: "Emit7")
            #expect(wanted.delivered == 4)
            _ = try await connection.call(path: "/a", interface: "t.T", member: "Emit40")
            #expect(wanted.delivered == 24)
            // What was counted is what the stream holds: the matching signals, no more.
            connection.close()
            var members: [String] = []
            for await message in wanted.messages { members.append(message.member ?? "?") }
            #expect(members == Array(repeating: "Wanted", count: 24))
            _ = try await served
        }

        @Test func peerClosingFailsWaitingCalls() async throws {
            let peer = try ScriptedPeer()
            defer { peer.close() }
            async let served: String = peer.serve { _, connection in
                connection.close()
                return []
            }
            let connection = try await DBusConnection.connect(path: peer.path)
            let error = await #expect(throws: DBusError.self) {
                try await connection.call(path: "/a", interface: "t.T", member: "Anything", timeout: .seconds(10))
            }
            #expect(error?.name == DBusError.disconnectedName)
            #expect(connection.isClosed)
            _ = try? await served
        }

        @Test func rejectedAuthenticationIsAClearError() async throws {
            let peer = try ScriptedPeer()
            defer { peer.close() }
            async let served: String = peer.serve(handshakeReply: "REJECTED EXTERNAL") { _, _ in [] }
            let error = await #expect(throws: DBusProtocolError.self) { try await DBusConnection.connect(path: peer.path) }
            #expect(error?.message.contains("rejected") == true)
            _ = try? await served
        }

        @Test func connectAndCloseLeakNoDescriptors() async throws {
            let peer = try ScriptedPeer()
            defer { peer.close() }
            let before = try FileDescriptor.openCount()
            // Half are closed explicitly, half only released: both must free the socket (the peer
            // sees end of stream either way, or `served` would never return).
            func use(closing: Bool) async throws {
                let connection = try await DBusConnection.connect(path: peer.path)
                _ = try await connection.call(path: "/a", interface: "t.T", member: "Ping")
                if closing { connection.close() }
            }
            for round in 0..<20 {
                async let served: String = peer.serve { message, _ in [ScriptedPeer.reply(to: message, [])] }
                try await use(closing: round % 2 == 0)
                _ = try await served
            }
            var after = try FileDescriptor.openCount()
            for _ in 0..<50 where after > before {
                try await Task.sleep(for: .milliseconds(20))
                after = try FileDescriptor.openCount()
            }
            // Whole-process counts: other suites close their own descriptors meanwhile, so only a
            // surplus that never drains is a leak.
            #expect(after <= before, "\(after - before) descriptors more than before")
        }
    }
}
