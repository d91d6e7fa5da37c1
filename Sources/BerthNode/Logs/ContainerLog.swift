import BerthCore
import BerthProtocol
import BerthSystem

/// One reader of a container's log: both of its files (`ContainerLogFiles`) merged into one
/// stream in time order, read once (`snapshot`) and then, for `follow`, as they grow.
///
/// The files are the buffer: a follower reads a bounded chunk, sends it, and reads on only once
/// its client took it, so a slow or stuck client costs the node one chunk, never a queue, and
/// the container writing the log never waits for anyone.
final class ContainerLog: Sendable {
    let id: Identifier
    let directory: String
    private let unit: LogFileCursor
    private let container: LogFileCursor

    init(id: Identifier, files: ContainerLogFiles) {
        self.id = id
        directory = files.directory
        unit = LogFileCursor(path: files.unitLog)
        container = LogFileCursor(path: files.containerLog)
    }

    /// The log as it is now: lines at or after `since`, the last `tail` of them, at most
    /// `ContractLimits.logLines` (the older ones counted in `omitted`).
    func snapshot(tail: Int?, since: LogTime?, following: Bool) throws -> (lines: [LogLine], omitted: Int) {
        // unit.log is small (the runtime's messages, trimmed at each start): read whole, so each of
        // its lines has the time of its marker. container.log may be large: with `tail` only its
        // end is read (a `since` needs the whole).
        let fromUnit = try unit.snapshot(tail: nil, following: following)
        let fromContainer = try container.snapshot(tail: since == nil ? tail : nil, following: following)
        var records = ContainerLog.merge(fromUnit, fromContainer)
        if let since { records.removeAll { ($0.time ?? LogTime(nanoseconds: .min)) < since } }
        let keep = min(tail ?? records.count, ContractLimits.logLines, records.count)
        let omitted = (tail == nil ? records.count : min(tail!, records.count)) - keep
        return (records.suffix(keep).map(\.line), omitted)
    }

    /// Lines written since the last read, from at most `limit` new bytes of each file.
    func readNew(limit: Int) throws -> [LogLine] {
        ContainerLog.merge(try unit.readNew(limit: limit), try container.readNew(limit: limit)).map(\.line)
    }

    /// Whether the container's log directory is gone (the container was deleted).
    var removed: Bool { !FileSystem.exists(directory) }

    /// Both files' records in time order; a line without a time (none before it had one) first,
    /// and the order within a file kept.
    static func merge(_ a: [LogRecord], _ b: [LogRecord]) -> [LogRecord] {
        guard !a.isEmpty else { return b }
        guard !b.isEmpty else { return a }
        var out: [LogRecord] = []
        out.reserveCapacity(a.count + b.count)
        var i = a.startIndex
        var j = b.startIndex
        let earliest = LogTime(nanoseconds: .min)
        while i < a.endIndex, j < b.endIndex {
            if (b[j].time ?? earliest) < (a[i].time ?? earliest) {
                out.append(b[j])
                j += 1
            } else {
                out.append(a[i])
                i += 1
            }
        }
        out += a[i...]
        out += b[j...]
        return out
    }
}
