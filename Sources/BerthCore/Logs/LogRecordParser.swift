import BerthProtocol

/// One line of a container's log as read from its files (`ContainerLogFiles`).
public struct LogRecord: Hashable, Sendable {
    public var time: LogTime?
    public var stream: String
    /// At most `ContractLimits.logLineBytes` bytes of the line; `cutBytes` counts the rest.
    public var text: [UInt8]
    public var cutBytes: Int

    /// The wire form: the text decoded as UTF-8 (U+FFFD for bytes that are not), controls kept for
    /// the JSON serializer to escape.
    public var line: LogLine {
        LogLine(time: time?.rfc3339, stream: stream, text: String(decoding: text, as: UTF8.self),
                cutBytes: cutBytes > 0 ? cutBytes : nil)
    }
}

/// Turns the lines of a log file into records, a pure state machine fed one line (without its
/// newline) at a time, so a follower can feed it as bytes arrive.
///
/// A line in conmon's format (`TIME STREAM F|P TEXT`) is a record of that stream and time; `P`
/// records are parts of one line and are joined with what follows (up to the byte bound). Any other
/// line (podman's own messages in `unit.log`) is a `runtime` record with the time of the last line
/// that had one: the marker written when the unit started.
public struct LogRecordParser: Sendable {
    var lastTime: LogTime?
    var pending: LogRecord?

    public init() {}

    /// The records `line` completes, oldest first: none while it is a part (`P`) of a longer line,
    /// two when a dangling part of another stream goes out before it.
    public mutating func feed(_ line: ArraySlice<UInt8>) -> [LogRecord] {
        var record: LogRecord
        var partial = false
        if let (time, stream, isPart, text) = LogRecordParser.split(line) {
            lastTime = time
            partial = isPart
            if var joined = pending, joined.stream == stream {
                append(text, to: &joined)
                pending = partial ? joined : nil
                return partial ? [] : [joined]
            }
            record = LogRecord(time: time, stream: stream, text: [], cutBytes: 0)
            append(text, to: &record)
        } else {
            record = LogRecord(time: lastTime, stream: "runtime", text: [], cutBytes: 0)
            append(line, to: &record)
        }
        // A part whose line never ended (its stream stopped mid-line) is shown as it is.
        var out = pending.map { [$0] } ?? []
        pending = nil
        if partial { pending = record } else { out.append(record) }
        return out
    }

    /// A part waiting for the rest of its line: what a reader shows when the file ends there.
    public mutating func finish() -> LogRecord? {
        defer { pending = nil }
        return pending
    }

    private func append(_ text: ArraySlice<UInt8>, to record: inout LogRecord) {
        let room = max(0, ContractLimits.logLineBytes - record.text.count)
        record.text += text.prefix(room)
        record.cutBytes += max(0, text.count - room)
    }

    static let streams: [[UInt8]] = ["stdout", "stderr", "systemd"].map { Array($0.utf8) }

    /// `TIME SP STREAM SP TAG SP TEXT`, where TAG is `F` or `P` (conmon may add `:`-separated flags).
    static func split(_ line: ArraySlice<UInt8>) -> (LogTime, String, Bool, ArraySlice<UInt8>)? {
        guard let space = line.firstIndex(of: 0x20), let time = LogTime.parse(line[line.startIndex..<space]) else { return nil }
        let afterTime = line[(space + 1)...]
        guard let space2 = afterTime.firstIndex(of: 0x20) else { return nil }
        let streamBytes = afterTime[afterTime.startIndex..<space2]
        guard let stream = streams.first(where: { $0.elementsEqual(streamBytes) }) else { return nil }
        let afterStream = line[(space2 + 1)...]
        let tagEnd = afterStream.firstIndex(of: 0x20) ?? afterStream.endIndex
        let tag = afterStream[afterStream.startIndex..<tagEnd]
        guard let first = tag.first, first == UInt8(ascii: "F") || first == UInt8(ascii: "P") else { return nil }
        let text = tagEnd < line.endIndex ? line[(tagEnd + 1)...] : line[line.endIndex...]
        return (time, String(decoding: stream, as: UTF8.self), first == UInt8(ascii: "P"), text)
    }
}
