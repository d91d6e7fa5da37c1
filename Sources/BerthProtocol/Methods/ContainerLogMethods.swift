/// Params of `container.logs`: the last `tail` lines of a container's log, those at or after
/// `since`, or both; with `follow` the node keeps sending new lines as `container.log`
/// notifications on the connection until the client goes or the container is deleted.
public struct ContainerLogsParams: Codable, Hashable, Sendable {
    public var id: String
    /// At most this many lines, the newest (0 to `ContractLimits.logLines`); all when absent.
    public var tail: Int?
    /// Only lines from this time on: RFC 3339 (`2026-12-06T17:00:00Z`, any offset, fractions allowed).
    public var since: String?
    public var follow: Bool?
    public init(id: String, tail: Int? = nil, since: String? = nil, follow: Bool? = nil) {
        self.id = id
        self.tail = tail
        self.since = since
        self.follow = follow
    }
    enum CodingKeys: String, CodingKey { case id, tail, since, follow }
}

/// One line of a container's log.
public struct LogLine: Codable, Hashable, Sendable {
    /// When it was written, RFC 3339 in UTC with nanoseconds. Absent for a runtime line written
    /// before any line with a time (a log from before Berth kept one).
    public var time: String?
    /// `stdout` or `stderr` (the container's), `runtime` (what the runtime CLI and the unit's other
    /// commands printed: podman's errors), or `systemd` (the unit starting, and its result).
    public var stream: String
    /// The line without its newline. Bytes that are not UTF-8 arrive as U+FFFD; control characters
    /// are kept (JSON escapes them; `berth logs` shows them escaped).
    public var text: String
    /// Bytes of the line left out after the first `ContractLimits.logLineBytes`; absent when none.
    public var cutBytes: Int?
    public init(time: String?, stream: String, text: String, cutBytes: Int? = nil) {
        self.time = time
        self.stream = stream
        self.text = text
        self.cutBytes = cutBytes
    }
    enum CodingKeys: String, CodingKey { case time, stream, text, cutBytes }

    public static let streams = ["stdout", "stderr", "runtime", "systemd"]

    /// The line with its text cut to at most `bytes` bytes of UTF-8 (at a character's start), the
    /// rest added to `cutBytes`.
    public func cut(toBytes bytes: Int) -> LogLine {
        let utf8 = text.utf8
        guard utf8.count > bytes else { return self }
        var end = utf8.index(utf8.startIndex, offsetBy: bytes)
        // Back to the start of a scalar: continuation bytes are 10xxxxxx.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
        let kept = String(text[..<end])
        return LogLine(time: time, stream: stream, text: kept, cutBytes: (cutBytes ?? 0) + utf8.count - kept.utf8.count)
    }
}

/// Result of `container.logs`.
public struct ContainerLogsResult: Codable, Hashable, Sendable {
    public var id: String
    /// Oldest first.
    public var lines: [LogLine]
    /// Older lines that matched but were left out: one answer carries at most
    /// `ContractLimits.logLines` lines (ask with `tail`, or `since`, for fewer).
    public var omitted: Int
    /// With `follow`: the name the `container.log` notifications of this request carry.
    public var follow: String?
    public init(id: String, lines: [LogLine], omitted: Int = 0, follow: String? = nil) {
        self.id = id
        self.lines = lines
        self.omitted = omitted
        self.follow = follow
    }
    enum CodingKeys: String, CodingKey { case id, lines, omitted, follow }
}

/// Params of a `container.log` notification: new lines of a followed log, or its end.
public struct ContainerLogNotification: Codable, Hashable, Sendable {
    public var follow: String
    public var id: String
    public var lines: [LogLine]
    /// Set on the last notification of a follow: `deleted` (the container went).
    public var end: String?
    public init(follow: String, id: String, lines: [LogLine], end: String? = nil) {
        self.follow = follow
        self.id = id
        self.lines = lines
        self.end = end
    }
    enum CodingKeys: String, CodingKey { case follow, id, lines, end }
}
