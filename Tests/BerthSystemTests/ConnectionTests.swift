#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import BerthSystem

extension SystemTests {
    @Suite struct ConnectionTests {
        /// A Unix listener in a fresh directory, with the directory removed by `finish()`.
        struct Server {
            let dir: TemporaryDirectory
            let listener: Listener
            var address: SocketAddress { .unix(path: "\(dir.path)/s.sock") }

            init() throws {
                dir = try TemporaryDirectory()
                listener = try Listener.unix(path: "\(dir.path)/s.sock")
            }

            func finish() {
                listener.close()
                dir.remove()
            }
        }

        @Test func echoesAndSeesEndOfStream() async throws {
            let server = try Server()
            defer { server.finish() }
            let (client, peer) = try await server.listener.connectedPair()
            try await client.write(Array("hello\n".utf8))
            #expect(try await peer.read() == Array("hello\n".utf8))
            try await peer.write(Array("world".utf8)[...])
            #expect(try await client.read(upTo: 3) == Array("wor".utf8))
            #expect(try await client.read() == Array("ld".utf8))
            try client.shutdownWrite()
            #expect(try await peer.read() == [])  // end of stream, and the other direction still works
            try await peer.write([1, 2, 3])
            #expect(try await client.read() == [1, 2, 3])
            peer.close()
            #expect(try await client.read() == [])
            client.close()
            #expect(client.isClosed)
            await #expect(throws: SocketError.self) { try await client.read() }
        }

        /// After a short read the next one waits for the loop's edge instead of trying `recv` first:
        /// bytes that came (and were reported) before that read, or while it waits, or together
        /// with end of stream must all be seen, promptly.
        @Test func aReadAfterAShortReadSeesWhatCameMeanwhile() async throws {
            let server = try Server()
            defer { server.finish() }
            let (client, peer) = try await server.listener.connectedPair()
            defer { client.close(); peer.close() }
            // The client's registration saw EPOLLHUP before its connect: not an end of stream.
            #expect(!client.registration.peerHungUp && !peer.registration.peerHungUp)
            for k in 0..<50 {
                try await client.write(Array("ask \(k)\n".utf8))
                #expect(try await peer.read(within: .seconds(5)) == Array("ask \(k)\n".utf8))  // short: the buffer is 64 KiB
                // The same on the connecting side: its next read waits for the answer's edge.
                try await peer.write(Array("answer \(k)\n".utf8))
                #expect(try await client.read(within: .seconds(5)) == Array("answer \(k)\n".utf8))
                if k % 2 == 0 {
                    // Arrives, and the loop sees it, before the next read starts.
                    try await client.write(Array("more \(k)\n".utf8))
                    try await Task.sleep(for: .milliseconds(5))
                    #expect(try await peer.read(within: .seconds(5)) == Array("more \(k)\n".utf8))
                } else {
                    // Arrives while the read waits.
                    async let late: Void = { try await Task.sleep(for: .milliseconds(5)); try await client.write(Array("late \(k)\n".utf8)) }()
                    #expect(try await peer.read(within: .seconds(5)) == Array("late \(k)\n".utf8))
                    try await late
                }
            }
            try await client.write(Array("last".utf8))
            client.close()
            try await Task.sleep(for: .milliseconds(5))
            #expect(try await peer.read(within: .seconds(5)) == Array("last".utf8))
            #expect(try await peer.read(within: .seconds(5)) == [])
            #expect(peer.registration.peerHungUp)
        }

        @Test func largeWritesWaitForTheReaderAndArriveIntact() async throws {
            let server = try Server()
            defer { server.finish() }
            let (client, peer) = try await server.listener.connectedPair()
            defer { client.close(); peer.close() }
            // 4 MiB is far past the socket buffers, so the writer must wait for space many times.
            let payload = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) }
            async let written: Void = client.write(payload)
            var received: [UInt8] = []
            received.reserveCapacity(payload.count)
            while received.count < payload.count {
                let chunk = try await peer.read()
                #expect(!chunk.isEmpty)
                if chunk.isEmpty { break }
                received += chunk
            }
            try await written
            #expect(received == payload)
        }

        @Test func cancellingAReadAbortsOnlyTheWait() async throws {
            let server = try Server()
            defer { server.finish() }
            let (client, peer) = try await server.listener.connectedPair()
            defer { client.close(); peer.close() }
            let reader = Task { try await peer.read() }
            try await Task.sleep(for: .milliseconds(50))
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            // Still usable afterwards.
            try await client.write([42])
            #expect(try await peer.read() == [42])
        }

        @Test func closeWakesAPendingReadAndAccept() async throws {
            let server = try Server()
            defer { server.finish() }
            let (client, peer) = try await server.listener.connectedPair()
            defer { client.close() }
            let reader = Task { try await peer.read() }
            try await Task.sleep(for: .milliseconds(50))
            peer.close()
            let error = await #expect(throws: SocketError.self) { try await reader.value }
            #expect(error?.code == .closed)

            let acceptor = Task { try await server.listener.accept() }
            try await Task.sleep(for: .milliseconds(50))
            server.listener.close()
            let acceptError = await #expect(throws: SocketError.self) { try await acceptor.value }
            #expect(acceptError?.code == .closed)
        }

        @Test func twoConcurrentReadersAreRefused() async throws {
            let server = try Server()
            defer { server.finish() }
            let (client, peer) = try await server.listener.connectedPair()
            defer { client.close(); peer.close() }
            let first = Task { try await peer.read() }
            try await Task.sleep(for: .milliseconds(50))
            let error = await #expect(throws: SocketError.self) { try await peer.read() }
            #expect(error?.code == .concurrentOperation)
            try await client.write([7])
            #expect(try await first.value == [7])
        }

        @Test func fiveHundredConnectionsLeaveNoDescriptorBehind() async throws {
            let served = Counter()
            try await expectNoDescriptorLeak {
                let server = try Server()
                defer { server.finish() }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // The server side: echo one message per connection, each on its own task.
                        try await withThrowingDiscardingTaskGroup { connections in
                            for try await connection in server.listener.connections {
                                connections.addTask {
                                    defer { connection.close() }
                                    let bytes = try await connection.read()
                                    try await connection.write(bytes)
                                    served.value.add(1, ordering: .relaxed)
                                }
                            }
                        }
                    }
                    // 500 clients, 50 at a time.
                    for batch in 0..<10 {
                        try await withThrowingTaskGroup(of: Void.self) { clients in
                            for i in 0..<50 {
                                clients.addTask {
                                    let client = try await Connection.connect(to: server.address, timeout: .seconds(5))
                                    defer { client.close() }
                                    let message = Array("client \(batch * 50 + i)".utf8)
                                    try await client.write(message)
                                    #expect(try await client.read() == message)
                                }
                            }
                            try await clients.waitForAll()
                        }
                    }
                    server.listener.close()  // ends the accept sequence, and with it the server task
                    try await group.waitForAll()
                }
            }
            #expect(served.value.load(ordering: .relaxed) == 500)
        }

        @Test func descriptorLeakCheckNoticesALeak() async throws {
            // By number, not by count: suites running alongside open and close their own meanwhile.
            let leaked = try Socket.pair()
            let numbers = [leaked.0.descriptor.rawValue, leaked.1.descriptor.rawValue]
            #expect(Set(numbers).isSubset(of: try FileDescriptor.openDescriptors()))
            leaked.0.close()
            leaked.1.close()
        }
    }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
