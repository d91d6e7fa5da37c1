/// A connection's input as lines: plain lines until the line that completes the channel's
/// handshake, then records (`RecordOpener`) whose plaintext is lines again. One `LineFramer` and its
/// limit serve both, so a sealed line is held to the same bound as a plain one.
public struct ChannelReader: Sendable {
    private var framer: LineFramer
    private var opener: RecordOpener?

    public init(limit: Int = LineFramer.defaultLimit) { framer = LineFramer(limit: limit) }

    /// The longest line accepted.
    public var limit: Int { framer.limit }

    /// Records are being opened (the handshake completed).
    public var isSealed: Bool { opener != nil }

    /// Feeds one chunk and calls `onLine` for every line it completes. A line for which `onLine`
    /// returns an opener completes the handshake: the bytes after it are records for that opener.
    /// Throws `LineFramerError` or `ChannelError`; lines before the failure were delivered.
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, onLine: (UnsafeBufferPointer<UInt8>) throws -> RecordOpener?) throws {
        var rest = chunk
        if opener == nil {
            var switched: RecordOpener?
            let taken = try framer.feedStopping(chunk, after: { line in
                switched = try onLine(line)
                return switched != nil
            })
            guard let switched else { return }
            opener = switched
            rest = UnsafeBufferPointer(rebasing: chunk[taken...])
        }
        // Both taken out while the records open (the closure feeds the framer), and left unshared
        // so neither buffer is copied on write.
        guard var records = opener else { return }
        var framer = self.framer
        opener = nil
        self.framer = LineFramer(limit: framer.limit)
        defer {
            opener = records
            self.framer = framer
        }
        try records.feed(rest) { plaintext in
            try framer.feed(plaintext) { line in _ = try onLine(line) }
        }
    }

    public mutating func feed(_ bytes: [UInt8], onLine: (UnsafeBufferPointer<UInt8>) throws -> RecordOpener?) throws {
        try bytes.withUnsafeBufferPointer { try feed($0, onLine: onLine) }
    }
}
