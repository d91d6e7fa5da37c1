import Testing
@testable import BerthNode
import BerthProtocol
import BerthSystem
#if canImport(Glibc)
import Glibc
#endif

/// Requests of `test.hold`, held until the test lets them go: a test knows a request is in flight
/// when it says so, instead of guessing how long the server takes to read and start it (a sleep of
/// 50 or 100 ms is not enough on two cores busy with the rest of the suite).
private final class Holds: Sendable {
    private struct State {
        var started = 0
        var open = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Lock(State())

    /// Suspends until `release()`; after `release(forGood: true)` returns at once.
    func hold() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s in
                s.started += 1
                if s.open { return true }
                s.waiting.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Lets every held request go; with `forGood`, later ones are not held either.
    func release(forGood: Bool = false) {
        let waiting = state.withLock { s in
            if forGood { s.open = true }
            defer { s.waiting = [] }
            return s.waiting
        }
        for c in waiting { c.resume() }
    }

    /// Returns once `count` holds have started; fails the test after 10 s.
    func untilStarted(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while state.withLock({ $0.started }) < count {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(count) held requests did not start within 10 s")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// Methods a test needs: one that takes its time, one that is held until the test lets it go, one
/// that fails with a non-RPC error, one that shows its context.
private struct TestProvider: MethodProvider {
    let holds: Holds

    /// A handler that replies "streaming", then sends `notes` test.note notifications (k = 1...notes)
    /// and keeps its stream open until the connection ends ("no channel" when it cannot stream).
    static func streaming(notes: Int64) -> @Sendable (NoParams, RequestContext) async throws -> String {
        { _, context in
            guard let channel = context.notifications else { return "no channel" }
            channel.afterReply { sink in
                for k: Int64 in 1...notes { await sink.send("test.note", params: .object(["k": .int(k)])) }
                let (ended, end) = AsyncStream.makeStream(of: Void.self)
                sink.onConnectionEnd { end.finish() }
                for await _ in ended {}
            }
            return "streaming"
        }
    }

    func register(into table: inout MethodTable) {
        table.register("test.hold") { [holds] _, _ in
            await holds.hold()
            return .string("released")
        }
        table.register("test.sleep") { request, _ in
            let ms = request.params?["ms"]?.intValue ?? 200
            try await Task.sleep(for: .milliseconds(ms))
            return .object(["slept": .int(ms)])
        }
        table.register("test.fail") { _, _ in
            struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
            throw Boom()
        }
        // Replies, then sends three notifications and keeps its stream open until the connection ends;
        // the same with two, placed on the connection (answered without a task of its own when
        // nothing else runs).
        table.register("test.stream", Self.streaming(notes: 3))
        table.register("test.stream.connection", on: .connection, Self.streaming(notes: 2))
        // Where each kind of handler runs: the name of its thread, before and after a suspension.
        table.register("test.thread") { _, _ in try await threadNames() }
        table.register("test.thread.connection", on: .connection) { _, _ in try await threadNames() }
        table.registerImmediate("test.thread.now") { _, _ in .array([.string(DedicatedThread.currentName)]) }
        table.register("test.context") { (_: NoParams, context: RequestContext) -> String in
            "\(context.transport.rawValue) uid=\(context.peer.map { String($0.userID) } ?? "none")"
        }
    }
}

private func threadNames() async throws -> JSONValue {
    let first = DedicatedThread.currentName
    try await Task.sleep(for: .milliseconds(2))
    return .array([.string(first), .string(DedicatedThread.currentName)])
}

/// A server on a temp Unix socket, run in a child task.
private struct Running {
    let server: NodeServer
    let socketPath: String
    let directory: String
    let holds: Holds
}

private func withServer(_ extra: [String] = [], info extraInfo: (@Sendable () async -> [String: JSONValue])? = nil,
                        _ body: (Running) async throws -> Void) async throws {
    var template = Array("/tmp/berth-srv-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    defer { try? FileSystem.removeTree(directory) }
    let socketPath = directory + "/s.sock"
    guard case .run(let configuration) = try NodeConfiguration.parse(
        arguments: ["--listen", "unix:" + socketPath, "--state-dir", directory, "--run-dir", directory] + extra,
        readFile: { _ in nil }) else { Issue.record("no run command"); return }
    var methods = MethodTable()
    let holds = Holds()
    TestProvider(holds: holds).register(into: &methods)
    let info = NodeDescription(managerMode: "user", runtime: "podman", stateDirectory: directory, extraInfo: extraInfo)
    // The server logs "listening" once its sockets listen. The socket's file appears earlier, at
    // bind, and a connect before listen is refused: the file was the wrong state to wait for.
    let listening = Lock(false)
    let server = try NodeServer(configuration: configuration, methods: methods, info: info,
                                logger: Logger(minimumLevel: .info, underSystemd: true) { line in
                                    if line.contains("listening") { listening.withLock { $0 = true } }
                                })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run(handlingSignals: false, inherited: []) }
        let deadline = ContinuousClock.now + .seconds(60)  // a guard: the wait ends when it listens
        while !listening.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        do {
            try await body(Running(server: server, socketPath: socketPath, directory: directory, holds: holds))
        } catch {
            holds.release(forGood: true)
            server.stop()
            throw error
        }
        holds.release(forGood: true)
        server.stop()
        try await group.waitForAll()
    }
}

/// Reads `count` lines (parsed) from a connection.
private func readLines(_ c: Connection, count: Int, buffer: inout [UInt8]) async throws -> [JSONValue] {
    var out: [JSONValue] = []
    while out.count < count {
        if let nl = buffer.firstIndex(of: 0x0A) {
            out.append(try JSONParser.parse(Array(buffer[..<nl])))
            buffer.removeSubrange(...nl)
            continue
        }
        let chunk = try await c.read(within: .seconds(10))
        if chunk.isEmpty { throw SocketError(.closed, "closed after \(out.count) lines") }
        buffer += chunk
    }
    return out
}

private func request(_ id: Int, _ method: String, _ params: String? = nil) -> [UInt8] {
    Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"\(method)\"\(params.map { ",\"params\":" + $0 } ?? "")}\n".utf8)
}

@Suite(.serialized) struct ServerTests {
    @Test func slowRequestsDoNotHoldUpFastOnesOnTheSameConnection() async throws {
        try await withServer { s in
            let c = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { c.close() }
            try await c.write(request(1, "test.hold") + request(2, "node.ping") + request(3, "node.info"))
            var buffer: [UInt8] = []
            let fast = try await readLines(c, count: 2, buffer: &buffer)
            #expect(fast.map { $0["id"]?.intValue } == [2, 3])
            #expect(fast[1]["result"]?["managerMode"]?.stringValue == "user")
            try await s.holds.untilStarted(1)
            s.holds.release()
            let slow = try await readLines(c, count: 1, buffer: &buffer)
            #expect(slow[0]["id"]?.intValue == 1 && slow[0]["result"]?.stringValue == "released")
        }
    }

    @Test func providerMethodsGetTheirContextAndErrorsBecomeInternal() async throws {
        try await withServer { s in
            let c = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { c.close() }
            try await c.write(request(1, "test.context") + request(2, "test.fail") + request(3, "test.context", "{\"x\":1}"))
            var buffer: [UInt8] = []
            let lines = try await readLines(c, count: 3, buffer: &buffer).sorted { ($0["id"]?.intValue ?? 0) < ($1["id"]?.intValue ?? 0) }
            #expect(lines[0]["result"]?.stringValue == "unix uid=\(getuid())")
            #expect(lines[1]["error"]?["data"]?["kind"]?.stringValue == "internal")
            #expect(lines[1]["error"]?["message"]?.stringValue?.contains("boom") == true)
            #expect(lines[2]["error"]?["data"]?["kind"]?.stringValue == "invalid_params")
        }
    }

    @Test func stopFinishesRequestsInFlightThenReturns() async throws {
        try await withServer { s in
            let c = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { c.close() }
            try await c.write(request(1, "test.hold"))
            try await s.holds.untilStarted(1)
            let started = ContinuousClock.now
            s.server.stop()
            // The request in flight is not cut off: it is let go a while after the stop, and answered.
            try await Task.sleep(for: .milliseconds(200))
            s.holds.release()
            var buffer: [UInt8] = []
            let lines = try await readLines(c, count: 1, buffer: &buffer)
            #expect(lines[0]["result"]?.stringValue == "released")
            #expect(try await c.read().isEmpty, "closed after the last answer")
            // A guard, not the condition: a stop that waited for something else would not end at all.
            #expect(ContinuousClock.now - started < .seconds(60))
            // New connections are refused once the server drains.
            await #expect(throws: (any Error).self) {
                let late = try await Connection.connect(to: .unix(path: s.socketPath), timeout: .seconds(1))
                defer { late.close() }
                let bytes = try await late.read()
                if bytes.isEmpty { throw SocketError(.closed, "closed") }
                if String(decoding: bytes, as: UTF8.self).contains("busy") { throw SocketError(.closed, "busy") }
            }
        }
    }

    /// Pool handlers never run on the loop's thread; immediate ones always do; handlers placed on the
    /// connection do from their first instruction (a child task without an executor of its own would
    /// start on the pool) and after a suspension, but only while no other request is in flight.
    @Test func handlersRunWhereTheirPlacementSays() async throws {
        try await withServer { s in
            let c = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { c.close() }
            var buffer: [UInt8] = []
            func names(_ lines: [JSONValue], _ id: Int64) -> [String] {
                lines.first { $0["id"]?.intValue == id }?["result"]?.arrayValue?.compactMap(\.stringValue) ?? []
            }
            for _ in 0..<5 {
                try await c.write(request(1, "test.thread"))
                let pool = try await readLines(c, count: 1, buffer: &buffer)
                #expect(names(pool, 1).count == 2 && !names(pool, 1).contains("berth-epoll"), "\(names(pool, 1))")
                try await c.write(request(2, "test.thread.connection") + request(3, "test.thread.now"))
                let alone = try await readLines(c, count: 2, buffer: &buffer)
                #expect(names(alone, 2) == ["berth-epoll", "berth-epoll"])
                #expect(names(alone, 3) == ["berth-epoll"])
            }
            // With another request in flight (on another connection), the same read goes to the pool.
            let other = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { other.close() }
            try await other.write(request(9, "test.hold"))
            try await s.holds.untilStarted(1)
            try await c.write(request(4, "test.thread.connection") + request(5, "test.thread.now"))
            let busy = try await readLines(c, count: 2, buffer: &buffer)
            #expect(names(busy, 4).count == 2 && !names(busy, 4).contains("berth-epoll"), "\(names(busy, 4))")
            #expect(names(busy, 5) == ["berth-epoll"])
            s.holds.release()
            var otherBuffer: [UInt8] = []
            #expect(try await readLines(other, count: 1, buffer: &otherBuffer)[0]["result"]?.stringValue == "released")
        }
    }

    @Test func providersCanAddNodeInfoFields() async throws {
        try await withServer(info: { ["containers": .int(3), "version": .string("forged")] }) { s in
            let c = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { c.close() }
            try await c.write(request(1, "node.info"))
            var buffer: [UInt8] = []
            let info = try await readLines(c, count: 1, buffer: &buffer)[0]["result"]
            #expect(info?["containers"]?.intValue == 3)
            #expect(info?["version"]?.stringValue == NodeDescription.version, "extra fields never replace standard ones")
            #expect(info?["stateDir"]?.stringValue == s.directory)
        }
    }

    @Test func aBatchWithSlowMembersIsAnsweredAsOneArray() async throws {
        try await withServer { s in
            let c = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { c.close() }
            let batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.sleep\",\"params\":{\"ms\":50}},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"test.sleep\",\"params\":{\"ms\":10}},"
                + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"node.ping\"},5]\n"
            try await c.write(Array(batch.utf8))
            var buffer: [UInt8] = []
            let reply = try await readLines(c, count: 1, buffer: &buffer)[0]
            let members = try #require(reply.arrayValue)
            #expect(members.count == 3)
            #expect(members.map { $0["id"]?.intValue } == [1, 2, nil])
            #expect(members[2]["error"]?["data"]?["kind"]?.stringValue == "invalid_request")
        }
    }

    @Test func idleConnectionsAreClosedButBusyOnesAreNot() async throws {
        try await withServer(["--idle-timeout", "1"]) { s in
            let t0 = ContinuousClock.now
            let busy = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { busy.close() }
            let idle = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { idle.close() }
            try await busy.write(request(1, "test.hold"))
            try await s.holds.untilStarted(1)
            #expect(try await idle.read(within: .seconds(10)).isEmpty)
            // Closed by the reaper (1 s after it connected), not by anything sooner.
            #expect(ContinuousClock.now - t0 >= .milliseconds(900))
            // The busy connection has sent nothing for longer than the timeout by now, and stays
            // open while its request runs.
            try await Task.sleep(for: .milliseconds(1500))
            s.holds.release()
            var buffer: [UInt8] = []
            let lines = try await readLines(busy, count: 1, buffer: &buffer)
            #expect(lines[0]["result"]?.stringValue == "released")
        }
    }

    /// A handler placed on the connection that streams after its reply: the stream goes on in a task
    /// of its own, so the connection keeps answering requests meanwhile.
    @Test func aConnectionHandlerStreamsWhileTheConnectionKeepsAnswering() async throws {
        try await withServer { s in
            let c = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { c.close() }
            try await c.write(request(1, "test.stream.connection"))
            var buffer: [UInt8] = []
            let lines = try await readLines(c, count: 3, buffer: &buffer)
            #expect(lines[0]["id"]?.intValue == 1 && lines[0]["result"]?.stringValue == "streaming", "the reply comes first")
            #expect(lines.dropFirst().map { $0["params"]?["k"]?.intValue } == [1, 2])
            for k in 2...4 {
                try await c.write(request(k, "test.thread.connection"))
                let answer = try await readLines(c, count: 1, buffer: &buffer)
                #expect(answer[0]["id"]?.intValue == Int64(k) && answer[0]["result"]?.arrayValue?.count == 2, "\(answer)")
            }
            let t0 = ContinuousClock.now
            s.server.stop()
            #expect(try await c.read().isEmpty)
            #expect(ContinuousClock.now - t0 < .seconds(60))  // a guard: the stream itself never ends
        }
    }

    @Test func aHandlerStreamsAfterItsReplyUntilTheConnectionEnds() async throws {
        try await withServer(["--idle-timeout", "1"]) { s in
            let c = try await Connection.connect(to: .unix(path: s.socketPath))
            defer { c.close() }
            try await c.write(request(1, "test.stream"))
            var buffer: [UInt8] = []
            let lines = try await readLines(c, count: 4, buffer: &buffer)
            #expect(lines[0]["id"]?.intValue == 1 && lines[0]["result"]?.stringValue == "streaming", "the reply comes first")
            #expect(lines.dropFirst().map { $0["params"]?["k"]?.intValue } == [1, 2, 3])
            #expect(lines.dropFirst().allSatisfy { $0["method"]?.stringValue == "test.note" && $0["id"] == nil })
            // An open stream keeps the connection from the idle reaper (1 s here).
            try await Task.sleep(for: .milliseconds(1600))
            try await c.write(Array(#"[{"jsonrpc":"2.0","id":2,"method":"test.stream"}]"#.utf8) + [0x0A])
            let batch = try await readLines(c, count: 1, buffer: &buffer)
            #expect(batch[0][0]?["result"]?.stringValue == "no channel", "a batched request cannot stream")
            // Shutdown does not wait for the stream (which never ends by itself: the bound is a guard).
            let t0 = ContinuousClock.now
            s.server.stop()
            #expect(try await c.read().isEmpty)
            #expect(ContinuousClock.now - t0 < .seconds(60))
        }
    }
}
