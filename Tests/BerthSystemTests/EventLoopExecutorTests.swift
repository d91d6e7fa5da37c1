#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import BerthSystem

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

/// A loop of a test's own, a Unix listener on it in a fresh directory, and a client connected to it.
private struct LoopSockets {
    let loop: EventLoop
    let dir: TemporaryDirectory
    let listener: Listener
    let client: Connection

    init(name: String) async throws {
        loop = try EventLoop(name: name)
        dir = try TemporaryDirectory()
        listener = try Listener.unix(path: "\(dir.path)/s.sock", loop: loop)
        client = try await Connection.connect(to: .unix(path: "\(dir.path)/s.sock"), loop: loop)
    }

    func finish() {
        client.close()
        listener.close()
        dir.remove()
        loop.shutdown()
    }
}

extension SystemTests {
    @Suite struct EventLoopExecutorTests {
        @Test func aDedicatedThreadCarriesItsName() async throws {
            let name = try await DedicatedThread.run(name: "berth-name-test") { DedicatedThread.currentName }
            #expect(name == "berth-name-test")
            // Names are cut to the kernel's 15 bytes.
            #expect(try await DedicatedThread.run(name: "berth-a-very-long-name") { DedicatedThread.currentName } == "berth-a-very-lo")
        }

        @Test func aTaskThatPrefersTheLoopRunsAndResumesOnItsThread() async throws {
            let sockets = try await LoopSockets(name: "berth-test-ex")
            defer { sockets.finish() }
            let (listener, client) = (sockets.listener, sockets.client)
            let names = try await withTaskExecutorPreference(sockets.loop) {
                let first = DedicatedThread.currentName
                let server = try await listener.accept()
                defer { server.close() }
                // Nothing to read yet: the task parks, and the loop resumes it once the client writes.
                async let written: Void = Task.detached {
                    try await Task.sleep(for: .milliseconds(50))
                    try await client.write(Array("x\n".utf8))
                }.value
                let bytes = try await server.read()
                try await written
                return (first, DedicatedThread.currentName, bytes)
            }
            #expect(names.0 == "berth-test-ex")
            #expect(names.1 == "berth-test-ex")
            #expect(names.2 == Array("x\n".utf8))
            #expect(DedicatedThread.currentName != "berth-test-ex")  // the caller itself never moved
        }

        @Test func aTaskThatKeepsYieldingDoesNotStarveTheSockets() async throws {
            let sockets = try await LoopSockets(name: "berth-test-ex3")
            defer { sockets.finish() }
            let (loop, client) = (sockets.loop, sockets.client)
            let server = try await sockets.listener.accept()
            defer { server.close() }
            let stop = Flag()
            let readBeforeStop = await withTaskGroup(of: Bool?.self) { group in
                group.addTask(executorPreference: loop) {
                    while !stop.value.load(ordering: .relaxed) { await Task.yield() }  // always has a job queued
                    return nil
                }
                group.addTask(executorPreference: loop) {
                    _ = try? await server.read()  // parks until the loop polls the socket
                    return !stop.value.load(ordering: .relaxed)
                }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(50))
                    try? await client.write(Array("x".utf8))
                    // The bound: stop the spinner regardless. The read ends the wait as soon as it comes.
                    try? await Task.sleep(for: .seconds(60))
                    stop.value.store(true, ordering: .relaxed)
                    return nil
                }
                var verdict: Bool?
                for await result in group {
                    if let result {
                        verdict = result
                        stop.value.store(true, ordering: .relaxed)
                        group.cancelAll()
                    }
                }
                return verdict
            }
            #expect(readBeforeStop == true)
        }

        /// Without the hand-over to the global executor such a task would wait for ever: the race
        /// against a timer turns that into a failure.
        @Test func afterShutdownPreferringTasksStillRun() async throws {
            let loop = try EventLoop(name: "berth-test-ex2")
            loop.shutdown()
            try await Task.sleep(for: .milliseconds(50))  // let the loop thread stop (either way it must run)
            let ran = Flag()
            // Unstructured: a child task that never runs would keep its group waiting for ever.
            Task(executorPreference: loop) {
                await Task.yield()
                ran.value.store(true, ordering: .relaxed)
            }
            let deadline = ContinuousClock.now + .seconds(60)  // a guard: the loop ends when it ran
            while !ran.value.load(ordering: .relaxed), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            let didRun = ran.value.load(ordering: .relaxed)
            #expect(didRun, "a task preferring a stopped loop never ran")
        }
    }
}

extension SystemTests {
    @Suite struct NoDelayTests {
        static func noDelay(_ connection: Connection) throws -> CInt {
            try connection.registration.withDescriptor { fd in
                var value: CInt = 0
                var length = socklen_t(MemoryLayout<CInt>.size)
                guard getsockopt(fd, CInt(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0 else { throw SystemError("getsockopt") }
                return value
            }
        }

        /// Without TCP_NODELAY a second short answer waits for the peer's delayed ACK (40 ms):
        /// `berth ps` over TCP took 55 ms instead of 12 before both ends set it.
        @Test func tcpConnectionsSendSmallWritesAtOnceOnBothEnds() async throws {
            let listener = try Listener.listen(on: .ipv4(IPv4Address(rawValue: 0x7F00_0001), port: 0))
            defer { listener.close() }
            let (client, server) = try await listener.connectedPair()
            defer { client.close(); server.close() }
            #expect(try Self.noDelay(client) != 0)
            #expect(try Self.noDelay(server) != 0)
        }

        /// A listener handed over by systemd was not made by `Socket.stream`: adopting it sets the
        /// option, so what it accepts has it too.
        @Test func anInheritedTCPListenerAcceptsSocketsWithNoDelay() async throws {
            let fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
            try #require(fd >= 0)
            let address = SocketAddress.ipv4(IPv4Address(rawValue: 0x7F00_0001), port: 0)
            try address.withSockAddr { addr, length in try #require(bind(fd, addr, length) == 0) }
            try #require(listen(fd, 8) == 0)
            let listener = try Listener.inherited(FileDescriptor(rawValue: fd))
            defer { listener.close() }
            let (client, server) = try await listener.connectedPair()
            defer { client.close(); server.close() }
            #expect(try Self.noDelay(server) != 0)
        }
    }
}
