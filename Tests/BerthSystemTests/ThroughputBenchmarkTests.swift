#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

extension SystemTests {
    /// Pipelined request/response throughput over a Unix socket, shaped like the node's hot path:
    /// read 64 KiB, answer every complete line, write all answers in one call. Prints its numbers;
    /// asserts only that every request got its answer (timings are never test conditions).
    /// A benchmark, not a test: 200,000 calls checked nothing the Connection tests do not, so it runs
    /// only when asked, like the D-Bus benchmark (`BERTH_BENCH=1 swift test --filter ThroughputBenchmark`).
    @Suite struct ThroughputBenchmarkTests {
        static let request = Array(#"{"jsonrpc":"2.0","id":1,"method":"node.ping"}"#.utf8) + [10]
        static let response = Array(#"{"jsonrpc":"2.0","id":1,"result":{}}"#.utf8) + [10]

        /// Answers each line with `response` until the client closes.
        static func serve(_ connection: Connection) async throws {
            defer { connection.close() }
            var out: [UInt8] = []
            while true {
                let chunk = try await connection.read()
                if chunk.isEmpty { return }
                out.removeAll(keepingCapacity: true)
                var lines = 0
                for byte in chunk where byte == 10 { lines += 1 }  // requests never split mid-line in this client
                for _ in 0..<lines { out += response }
                try await connection.write(out)
            }
        }

        /// Sends `count` requests in batches of `batch` and counts the answers; returns the seconds taken.
        static func drive(_ address: SocketAddress, count: Int, batch: Int) async throws -> Double {
            let client = try await Connection.connect(to: address)
            defer { client.close() }
            let burst = Array([[UInt8]](repeating: request, count: batch).joined())
            let clock = ContinuousClock()
            let start = clock.now
            async let sent: Void = {
                for _ in 0..<(count / batch) { try await client.write(burst) }
            }()
            var answered = 0
            while answered < count {
                let chunk = try await client.read()
                if chunk.isEmpty { break }
                for byte in chunk where byte == 10 { answered += 1 }
            }
            try await sent
            #expect(answered == count)
            let elapsed = clock.now - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }

        /// Sends one request at a time, waiting for its answer; returns the seconds taken.
        static func roundTrips(_ address: SocketAddress, count: Int) async throws -> Double {
            let client = try await Connection.connect(to: address)
            defer { client.close() }
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<count {
                try await client.write(request)
                #expect(try await client.read() == response)
            }
            let elapsed = clock.now - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }

        /// The baseline: two threads echoing over a blocking socketpair, no event loop, no tasks.
        static func rawRoundTrips(count: Int) async throws -> Double {
            let (a, b) = try Socket.pair()
            defer { a.close(); b.close() }
            try DedicatedThread.start(name: "bench-echo") {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = Glibc.read(b.descriptor.rawValue, &buffer, buffer.count)
                    if n <= 0 { return }
                    _ = buffer.withUnsafeBytes { try? b.send(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                }
            }
            return try await DedicatedThread.run {
                let clock = ContinuousClock()
                let start = clock.now
                var buffer = [UInt8](repeating: 0, count: 4096)
                for _ in 0..<count {
                    _ = try request.withUnsafeBytes { try a.send($0) }
                    _ = Glibc.read(a.descriptor.rawValue, &buffer, buffer.count)
                }
                a.shutdown(.write)
                let elapsed = clock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
        }

        @Test(.enabled(if: getenv("BERTH_BENCH") != nil, "a benchmark: set BERTH_BENCH=1 to run it"))
        func pipelinedCallsPerSecond() async throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let listener = try Listener.unix(path: "\(dir.path)/bench.sock")
            let address = try listener.localAddress()
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await connection in listener.connections {
                            connections.addTask { try await Self.serve(connection) }
                        }
                    }
                }
                let count = 200_000
                let one = try await Self.drive(address, count: count, batch: 100)
                print("bench: 1 connection, \(count) pipelined calls (batches of 100): \(Int(Double(count) / one)) calls/s")
                let connections = 16
                let clock = ContinuousClock()
                let start = clock.now
                try await withThrowingTaskGroup(of: Double.self) { clients in
                    for _ in 0..<connections { clients.addTask { try await Self.drive(address, count: count / connections, batch: 50) } }
                    try await clients.waitForAll()
                }
                let elapsed = clock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print("bench: \(connections) connections, \(count) calls in all (batches of 50): \(Int(Double(count) / seconds)) calls/s")
                let rtt = try await Self.roundTrips(address, count: 5000)
                print("bench: 1 connection, 5000 calls one at a time: \(Int(rtt / 5000 * 1e6)) µs per round trip")
                let raw = try await Self.rawRoundTrips(count: 5000)
                print("bench: baseline, blocking echo between two threads: \(Int(raw / 5000 * 1e6)) µs per round trip")
                listener.close()
            }
        }
    }
}
