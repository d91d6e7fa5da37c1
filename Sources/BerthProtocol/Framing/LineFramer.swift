/// Why the framer stopped.
public enum LineFramerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A line grew past `limit` bytes before its `\n` arrived. The connection should get a
    /// `line_too_long` error response and be closed: the rest of that line is never read.
    case lineTooLong(limit: Int)
    /// Input after a failure: the framer takes nothing more.
    case closed

    public var description: String {
        switch self {
        case .lineTooLong(let limit): return "line longer than \(limit) bytes"
        case .closed: return "the framer refused input after an earlier failure"
        }
    }
}

/// Splits a byte stream into `\n`-terminated lines, whatever the chunking.
///
/// A line is the bytes before its `\n`, without one trailing `\r`. The limit counts the bytes before
/// the `\n` (a `\r` included), and is enforced the moment it is crossed, so the framer holds at most
/// `limit` bytes of a partial line (plus the caller's chunk, which it never copies whole). After an
/// error it refuses further input. Lines that end inside a chunk are handed out without copying.
/// Empty lines are delivered like any other; the RPC layer ignores blank lines.
public struct LineFramer: Sendable {
    public static let defaultLimit = 1 << 20

    /// The longest line accepted, in bytes.
    public let limit: Int
    private var partial: [UInt8] = []
    private var failed = false

    public init(limit: Int = LineFramer.defaultLimit) {
        precondition(limit > 0, "a line limit must be positive")
        self.limit = limit
    }

    /// Bytes of an unfinished line held since the last `\n`.
    public var bufferedByteCount: Int { partial.count }

    /// True once an error was reported; every later `feed` throws `.closed`.
    public var isFailed: Bool { failed }

    /// Feeds one chunk and calls `onLine` for every line it completes, in order. The buffer passed to
    /// `onLine` is valid only during the call. Lines completed before an over-long one are delivered
    /// before the error is thrown. If `onLine` throws, the framer stops (as after an error) and
    /// rethrows; the rest of the chunk is dropped.
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, onLine: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        _ = try feedStopping(chunk, after: { try onLine($0); return false })
    }

    /// Like `feed(_:onLine:)`, but stops right after the line for which `onLine` returns true and
    /// returns how many bytes of the chunk it took (all of them when it did not stop). What follows
    /// that line is not lines: the secure channel's records start there (`ChannelReader`).
    public mutating func feedStopping(_ chunk: UnsafeBufferPointer<UInt8>, after onLine: (UnsafeBufferPointer<UInt8>) throws -> Bool) throws -> Int {
        guard !failed else { throw LineFramerError.closed }
        var start = 0
        let count = chunk.count
        while start < count {
            let room = limit - partial.count  // how many more bytes this line may have before '\n'
            let searchEnd = min(count, start + room + 1)  // one past: where '\n' must appear at the latest
            var newline = -1
            var i = start
            while i < searchEnd {
                if chunk[i] == 0x0A { newline = i; break }
                i += 1
            }
            if newline < 0 {
                if count - start > room {
                    failed = true
                    partial = []
                    throw LineFramerError.lineTooLong(limit: limit)
                }
                partial.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<count]))
                return count
            }
            let stop: Bool
            do {
                if partial.isEmpty {
                    stop = try onLine(Self.trimmed(UnsafeBufferPointer(rebasing: chunk[start..<newline])))
                } else {
                    partial.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<newline]))
                    let line = partial
                    partial.removeAll(keepingCapacity: partial.capacity <= 4096)
                    stop = try line.withUnsafeBufferPointer { try onLine(Self.trimmed($0)) }
                }
            } catch {
                failed = true
                partial = []
                throw error
            }
            start = newline + 1
            if stop { return start }
        }
        return count
    }

    /// Feeds the bytes of one read; see `feed(_:onLine:)`. Callers hand over an array and never
    /// touch a pointer themselves.
    public mutating func feed(_ bytes: [UInt8], onLine: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try bytes.withUnsafeBufferPointer { try feed($0, onLine: onLine) }
    }

    /// Feeds raw bytes; see `feed(_:onLine:)`.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, onLine: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try feed(chunk.assumingMemoryBound(to: UInt8.self), onLine: onLine)
    }

    /// Feeds bytes and returns the lines they complete (a convenience that copies each line).
    /// On an over-long line the lines before it are lost with the error; use `feed(_:onLine:)` to keep them.
    public mutating func feed(_ bytes: [UInt8]) throws(LineFramerError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        do {
            try bytes.withUnsafeBufferPointer { buffer in
                try feed(buffer) { lines.append(Array($0)) }
            }
        } catch let error as LineFramerError {
            throw error
        } catch {
            preconditionFailure("unreachable: the collector does not throw")
        }
        return lines
    }

    /// Ends the stream: returns the bytes of an unterminated last line (which is not a message,
    /// since every message ends with `\n`), or nil when the stream ended cleanly.
    public mutating func finish() -> [UInt8]? {
        defer { partial = [] }
        return partial.isEmpty ? nil : partial
    }

    private static func trimmed(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        if let last = line.last, last == 0x0D { return UnsafeBufferPointer(rebasing: line.dropLast()) }
        return line
    }
}
