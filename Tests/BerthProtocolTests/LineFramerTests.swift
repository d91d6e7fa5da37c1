import Testing
import BerthFuzzChecks
import BerthProtocol

/// Feeds `input` split at the given chunk sizes; returns the lines and the error, if any.
private func run(_ input: [UInt8], chunks: [Int], limit: Int) -> (lines: [[UInt8]], error: LineFramerError?, maxBuffered: Int) {
    var framer = LineFramer(limit: limit)
    var lines: [[UInt8]] = []
    var start = 0
    var maxBuffered = 0
    var k = 0
    while start < input.count {
        let size = chunks.isEmpty ? input.count : max(1, chunks[k % chunks.count])
        k += 1
        let end = min(input.count, start + size)
        let chunk = Array(input[start..<end])
        do {
            try framer.feed(chunk) { lines.append(Array($0)) }  // as the node's connections feed it
        } catch let e as LineFramerError {
            // After an error the framer refuses everything.
            #expect(throws: LineFramerError.closed) { _ = try framer.feed([0x0A]) }
            return (lines, e, maxBuffered)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        maxBuffered = max(maxBuffered, framer.bufferedByteCount)
        start = end
    }
    return (lines, nil, maxBuffered)
}

/// Whole, byte by byte, and random chunkings must all agree (NIO's ByteToMessageDecoderVerifier idea).
private func verifyAllChunkings(_ input: [UInt8], limit: Int = 64, seed: UInt64 = 1) -> (lines: [[UInt8]], error: LineFramerError?) {
    let whole = run(input, chunks: [], limit: limit)
    let single = run(input, chunks: [1], limit: limit)
    #expect(single.lines == whole.lines)
    #expect(single.error == whole.error)
    var rng = SplitMix64(seed: seed)
    for _ in 0..<50 {
        let sizes = (0..<16).map { _ in Int.random(in: 1...(limit * 2), using: &rng) }
        let r = run(input, chunks: sizes, limit: limit)
        #expect(r.lines == whole.lines, "chunks \(sizes)")
        #expect(r.error == whole.error, "chunks \(sizes)")
        #expect(r.maxBuffered <= limit)
    }
    return (whole.lines, whole.error)
}

@Test func splitsLinesWhateverTheChunking() {
    let input = bytes("{\"a\":1}\nsecond line\r\n\n\r\nlast\n")
    let r = verifyAllChunkings(input)
    #expect(r.error == nil)
    #expect(r.lines.map(text) == ["{\"a\":1}", "second line", "", "", "last"])
}

@Test func onlyOneTrailingCarriageReturnIsRemoved() {
    let r = verifyAllChunkings(bytes("a\r\r\n\rb\n"))
    #expect(r.lines.map(text) == ["a\r", "\rb"])
}

@Test func aLineOfExactlyTheLimitPasses() {
    let line = [UInt8](repeating: UInt8(ascii: "x"), count: 64)
    let r = verifyAllChunkings(line + [0x0A] + bytes("ok\n"), limit: 64)
    #expect(r.error == nil)
    #expect(r.lines == [line, bytes("ok")])
}

@Test func aLineOverTheLimitFailsAfterTheLinesBeforeIt() {
    let long = [UInt8](repeating: UInt8(ascii: "y"), count: 65)
    let r = verifyAllChunkings(bytes("first\nsecond\n") + long + bytes("\nnever\n"), limit: 64)
    #expect(r.error == .lineTooLong(limit: 64))
    #expect(r.lines.map(text) == ["first", "second"])
}

@Test func theLimitIsEnforcedBeforeTheNewlineArrives() throws {
    var framer = LineFramer(limit: 10)
    var lines = 0
    try framer.feed(bytes("0123456789")).forEach { _ in lines += 1 }
    #expect(framer.bufferedByteCount == 10)
    // The 11th byte crosses the limit: an error now, not when a newline finally comes.
    #expect(throws: LineFramerError.lineTooLong(limit: 10)) { _ = try framer.feed(bytes("A")) }
    #expect(framer.isFailed)
    #expect(framer.bufferedByteCount == 0)
    #expect(throws: LineFramerError.closed) { _ = try framer.feed(bytes("\n")) }
    #expect(lines == 0)
}

@Test func aHugeChunkIsRefusedWithoutBufferingIt() throws {
    var framer = LineFramer(limit: 1024)
    let big = [UInt8](repeating: 0x41, count: 10 * 1024 * 1024)
    #expect(throws: LineFramerError.lineTooLong(limit: 1024)) { _ = try framer.feed(big) }
    #expect(framer.bufferedByteCount == 0)
}

@Test func defaultLimitIsOneMebibyte() {
    #expect(LineFramer().limit == 1_048_576)
}

@Test func randomStreamsAgreeAcrossChunkings() {
    var rng = SplitMix64(seed: 42)
    for round in 0..<20 {
        var input: [UInt8] = []
        for _ in 0..<Int.random(in: 0...30, using: &rng) {
            let length = Int.random(in: 0...(round % 4 == 0 ? 80 : 40), using: &rng)
            input += (0..<length).map { _ in UInt8.random(in: 0x20...0x7E, using: &rng) }
            input += Bool.random(using: &rng) ? [0x0D, 0x0A] : [0x0A]
        }
        _ = verifyAllChunkings(input, limit: 64, seed: UInt64(round))
    }
}

@Test func finishReturnsAnUnterminatedTail() throws {
    var framer = LineFramer()
    #expect(try framer.feed(bytes("a\nbc")).map(text) == ["a"])
    #expect(framer.finish().map(text) == "bc")
    #expect(framer.finish() == nil)
}

@Test func aThrowingHandlerStopsTheFramer() {
    struct Stop: Error {}
    var framer = LineFramer()
    var seen: [String] = []
    let input = bytes("a\nb\nc\n")
    #expect(throws: Stop.self) {
        try input.withUnsafeBufferPointer { buffer in
            try framer.feed(buffer) { line in
                seen.append(text(Array(line)))
                if seen.count == 2 { throw Stop() }
            }
        }
    }
    #expect(seen == ["a", "b"])
    #expect(framer.isFailed)
}
