import BerthProtocol

/// The line framer: fed whole, byte by byte, or in random chunks, it gives exactly the lines a plain
/// model of the framing rules gives (a line is the bytes before `\n` without one trailing `\r`; a line
/// of more than `limit` bytes, its `\r` counted, ends the stream with `lineTooLong`), and `finish`
/// returns the unterminated rest.
///
/// Input: the first byte picks the limit (small ones, so the limit is crossed often), the rest is
/// the stream.
enum FramerChecks {
    struct Outcome: Equatable {
        var lines: [[UInt8]] = []
        var tooLong = false
        var rest: [UInt8]?
    }

    static func check(_ input: [UInt8]) throws(PropertyViolation) {
        guard let first = input.first else { return }
        let limit = first & 0x80 != 0 ? LineFramer.defaultLimit : Int(first) + 1
        let stream = Array(input.dropFirst())
        let expected = model(stream, limit: limit)
        var random = FuzzRandom(seed: input)
        var chunkings: [(String, [[UInt8]])] = [("whole", [stream]), ("random chunks", random.chunks(of: stream, largest: 64))]
        if stream.count <= 4096 { chunkings.append(("byte by byte", stream.map { [$0] })) }
        for (name, chunks) in chunkings {
            let got = try run(chunks, limit: limit)
            guard got == expected else {
                throw PropertyViolation("framer fed \(name) (limit \(limit)) gave \(got), the model \(expected), for \(PropertyViolation.show(stream))")
            }
        }
    }

    static func model(_ stream: [UInt8], limit: Int) -> Outcome {
        var outcome = Outcome()
        var start = 0
        while let newline = stream[start...].firstIndex(of: 0x0A) {
            var line = Array(stream[start..<newline])
            if line.count > limit { outcome.tooLong = true; return outcome }
            if line.last == 0x0D { line.removeLast() }
            outcome.lines.append(line)
            start = newline + 1
        }
        let tail = Array(stream[start...])
        if tail.count > limit { outcome.tooLong = true; return outcome }
        outcome.rest = tail.isEmpty ? nil : tail
        return outcome
    }

    static func run(_ chunks: [[UInt8]], limit: Int) throws(PropertyViolation) -> Outcome {
        var framer = LineFramer(limit: limit)
        var outcome = Outcome()
        for chunk in chunks {
            do {
                try chunk.withUnsafeBufferPointer { buffer in
                    try framer.feed(buffer) { outcome.lines.append(Array($0)) }
                }
            } catch LineFramerError.lineTooLong(let reported) {
                guard reported == limit else { throw PropertyViolation("framer reported limit \(reported), not \(limit)") }
                outcome.tooLong = true
                return outcome
            } catch {
                throw PropertyViolation("framer threw \(error) where only lineTooLong may come")
            }
            if framer.bufferedByteCount > limit {
                throw PropertyViolation("framer holds \(framer.bufferedByteCount) bytes of a line, over its limit of \(limit)")
            }
        }
        outcome.rest = framer.finish()
        return outcome
    }
}
