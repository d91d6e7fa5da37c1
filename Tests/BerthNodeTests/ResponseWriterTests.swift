import BerthSystem
import Testing
@testable import BerthNode

/// The writer every connection's answers and notifications go through: one write at a time, bytes of
/// one `send` never split by another's, senders held back while the client does not read, and
/// nothing waiting for ever once the connection failed.
@Suite struct ResponseWriterTests {
    @Test func concurrentSendersKeepTheirBytesWholeAndInOrderPastTheSocketBuffer() async throws {
        let (a, b) = try Socket.pair()
        let node = try Connection(a)
        let client = try Connection(b)
        defer { node.close(); client.close() }
        let writer = ResponseWriter(node)
        let senders = 40, lines = 25
        let padding = String(repeating: "x", count: 1000)  // 1 MB in all: far past the socket buffers
        let expected = senders * lines
        async let sent: Void = withTaskGroup(of: Void.self) { group in
            for k in 0..<senders {
                group.addTask {
                    for j in 0..<lines { await writer.send(Array("\(k) \(j) \(padding)\n".utf8)) }
                }
            }
        }
        // The client reads nothing for a while: the senders must wait, not pile up or fail.
        try await Task.sleep(for: .milliseconds(100))
        #expect(await !writer.failed)
        var buffer: [UInt8] = []
        var next = [Int](repeating: 0, count: senders)
        var seen = 0
        while seen < expected {
            let chunk = try await client.read(within: .seconds(10))
            #expect(!chunk.isEmpty)
            if chunk.isEmpty { break }
            buffer += chunk
            while let newline = buffer.firstIndex(of: 0x0A) {
                let fields = String(decoding: buffer[..<newline], as: UTF8.self).split(separator: " ")
                buffer.removeSubrange(...newline)
                guard fields.count == 3, let k = Int(fields[0]), let j = Int(fields[1]), k >= 0, k < senders,
                      fields[2] == Substring(padding) else {
                    Issue.record("a line was split or mixed with another: \(fields.prefix(2))")
                    return
                }
                #expect(j == next[k], "sender \(k)'s lines in order")
                next[k] = j + 1
                seen += 1
            }
        }
        await sent
        #expect(seen == expected)
        #expect(buffer.isEmpty)
    }

    @Test func afterTheClientGoesSendersReturnAndNothingIsSent() async throws {
        let (a, b) = try Socket.pair()
        let node = try Connection(a)
        let client = try Connection(b)
        defer { node.close() }
        let writer = ResponseWriter(node)
        await writer.send(Array("hello\n".utf8))
        #expect(try await client.read(within: .seconds(10)) == Array("hello\n".utf8))
        client.close()
        // Senders blocked on a full buffer, and later ones, all return once the write fails.
        let big = [UInt8](repeating: 0x41, count: 256 * 1024)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { await writer.send(big) } }
        }
        #expect(await writer.failed)
        await writer.send(Array("late\n".utf8))
        #expect(await writer.failed)
    }

    @Test func aLastWordGoesOutWholeWhenIdleAndNeverWaitsOrSplitsALine() async throws {
        // Idle writer: the line goes out, then end of stream.
        let (a, b) = try Socket.pair()
        let node = try Connection(a)
        let client = try Connection(b)
        defer { client.close() }
        let writer = ResponseWriter(node)
        await writer.send(Array("first\n".utf8))
        await writer.closeWithLastWord(Array("bye\n".utf8))
        var got: [UInt8] = []
        while true {
            let chunk = try await client.read(within: .seconds(10))
            if chunk.isEmpty { break }
            got += chunk
        }
        #expect(got == Array("first\nbye\n".utf8))
        #expect(await writer.failed)

        // A client that reads nothing, with a send stuck on the full buffer: the close does not
        // wait for it, the stuck sender returns, and no last word lands inside its line.
        let (c, d) = try Socket.pair()
        let stuckNode = try Connection(c)
        let reader = try Connection(d)
        defer { reader.close() }
        let stuck = ResponseWriter(stuckNode)
        let line = [UInt8](repeating: 0x41, count: 4 << 20) + [0x0A]
        async let sent: Void = stuck.send(line)
        while !stuckNode.isClosed, await !stuck.isWriting { await Task.yield() }
        await stuck.closeWithLastWord(Array("bye\n".utf8))
        await sent
        var received: [UInt8] = []
        while true {
            guard let chunk = try? await reader.read(within: .seconds(10)), !chunk.isEmpty else { break }
            received += chunk
        }
        #expect(received.allSatisfy { $0 == 0x41 }, "only a prefix of the stuck line, no last word inside it")
    }
}
