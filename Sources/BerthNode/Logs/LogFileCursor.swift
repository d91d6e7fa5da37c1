import BerthCore
import BerthProtocol
import BerthSystem

/// A reader's place in one log file. It keeps the file open: when the log is rotated (a new file
/// renamed over it) the reader finishes the old file through its descriptor before it opens the
/// new one, so rotation loses nothing it has not read yet. Reads are bounded (`readNew(limit:)`):
/// a reader that falls behind leaves the rest in the file, not in the node's memory.
///
/// Used by one task at a time: `container.logs` reads the snapshot in its handler and hands the
/// cursor on to the follow that runs after the reply (hence `@unchecked Sendable`).
final class LogFileCursor: @unchecked Sendable {
    let path: String
    private var descriptor: FileDescriptor?
    private var identity: FileInfo?
    private var offset: Int64 = 0
    private var parser = LogRecordParser()
    /// Bytes after the last newline read so far: the start of a line still being written.
    private var carry: [UInt8] = []
    /// Bytes of that line beyond what `carry` keeps (the parser would cut them anyway).
    private var carryDropped = 0
    private static let carryLimit = ContractLimits.logLineBytes + 1024

    init(path: String) { self.path = path }

    deinit { descriptor?.close() }

    /// Opens the file when it exists and is not open yet; false when there is none.
    private func openIfPresent() throws -> Bool {
        if descriptor != nil { return true }
        guard (try? FileSystem.info(path)) != nil else { return false }
        let opened: FileDescriptor
        do { opened = try FileDescriptor.openForReading(path) } catch { return false }  // gone meanwhile
        descriptor = opened
        identity = try FileSystem.info(opened)
        offset = 0
        clearCarry()
        return true
    }

    /// The records of the file as it is now: all of them, or, with `tail`, at least the last
    /// `tail` (a window read from the end, grown until it holds enough). The cursor then stands at
    /// the end, for `readNew`. A line still being written is left for `readNew` when `following`,
    /// else shown as it is.
    func snapshot(tail: Int?, following: Bool) throws -> [LogRecord] {
        guard try openIfPresent(), let descriptor, let size = try? FileSystem.info(descriptor).size else { return [] }
        var window = Int64(64 << 10)
        while true {
            let start = tail == nil ? 0 : max(0, size - window)
            var records: [LogRecord] = []
            parser = LogRecordParser()
            clearCarry()
            offset = start
            // Read in bounded chunks up to the size seen; the first line of a window that does not
            // start the file is cut, so it is skipped.
            var skipFirst = start > 0
            while offset < size {
                let chunk = try descriptor.read(upTo: Int(min(Int64(1 << 20), size - offset)), at: offset)
                if chunk.isEmpty { break }
                offset += Int64(chunk.count)
                records += consume(chunk, skippingFirstLine: &skipFirst)
            }
            if let tail, start > 0, records.count <= tail {
                window *= 4
                continue
            }
            if !following {
                if let part = parser.finish() { records.append(part) }
                if !carry.isEmpty || carryDropped > 0 { records += flushCarry() + [parser.finish()].compactMap { $0 } }
            }
            return records
        }
    }

    /// Records written since the last read, from at most `limit` new bytes; follows a rotation.
    func readNew(limit: Int) throws -> [LogRecord] {
        guard try openIfPresent(), let descriptor else { return [] }
        let chunk = try descriptor.read(upTo: limit, at: offset)
        if !chunk.isEmpty {
            offset += Int64(chunk.count)
            var skip = false
            return consume(chunk, skippingFirstLine: &skip)
        }
        // At the end of the open file: if the path names another file now, this one is done.
        guard let current = try? FileSystem.info(path), let identity, !current.sameFile(as: identity) || current.size < offset else {
            return []
        }
        var rest: [LogRecord] = []
        if !carry.isEmpty || carryDropped > 0 { rest += flushCarry() }
        if let part = parser.finish() { rest.append(part) }
        descriptor.close()
        self.descriptor = nil
        return rest
    }

    private func consume(_ chunk: [UInt8], skippingFirstLine skip: inout Bool) -> [LogRecord] {
        var records: [LogRecord] = []
        var lineStart = 0
        var index = 0
        for byte in chunk {
            if byte == 0x0A {
                if skip {
                    skip = false
                    clearCarry()
                } else if carry.isEmpty && carryDropped == 0 {
                    records += parser.feed(chunk[lineStart..<index])
                } else {
                    appendCarry(chunk[lineStart..<index])
                    records += flushCarry()
                }
                lineStart = index + 1
            }
            index += 1
        }
        if lineStart < chunk.count { appendCarry(chunk[lineStart...]) }
        return records
    }

    private func appendCarry(_ bytes: ArraySlice<UInt8>) {
        let room = max(0, LogFileCursor.carryLimit - carry.count)
        carry += bytes.prefix(room)
        carryDropped += max(0, bytes.count - room)
    }

    /// Feeds the carried line; what was dropped of it counts as cut.
    private func flushCarry() -> [LogRecord] {
        var records = parser.feed(carry[...])
        if carryDropped > 0, !records.isEmpty { records[records.count - 1].cutBytes += carryDropped }
        clearCarry()
        return records
    }

    private func clearCarry() {
        carry = []
        carryDropped = 0
    }
}
