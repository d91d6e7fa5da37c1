import BerthCore
import BerthProtocol
import BerthSystem

/// Serves `container.logs` from the containers' log files (`ContainerLogFiles`, `ContainerLog`).
///
/// With `follow` the reply carries the lines so far and a follow name; the request's task then
/// polls the files (a stat and a read of what is new, every `pollInterval`) and sends what it
/// finds as `container.log` notifications, until the client's connection ends or the container
/// is deleted (a last notification with `end: "deleted"`). Sending waits for the client's socket,
/// and only this follower's task waits: the node and other clients never do.
public struct ContainerLogMethodProvider: MethodProvider {
    public let engine: ContainerEngine
    public init(engine: ContainerEngine) { self.engine = engine }

    /// How often a follower looks for new lines: "within a second" with room to spare, and a
    /// stat of two files five times a second is nothing to the node.
    static let pollInterval: Duration = .milliseconds(200)
    /// The most new bytes a follower reads from each file per round, and lines per notification.
    static let followChunkBytes = 256 << 10
    static let followBatchLines = 1000
    private static let followCount = Lock(0)

    public func register(into table: inout MethodTable) {
        let engine = engine
        table.register(MethodName.containerLogs.rawValue) { (p: ContainerLogsParams, context) -> ContainerLogsResult in
            if let tail = p.tail, !(0...ContractLimits.logLines).contains(tail) {
                throw RPCError.invalidParams("tail must be between 0 and \(ContractLimits.logLines), not \(tail)", path: "tail")
            }
            var since: LogTime?
            if let text = p.since {
                guard let time = LogTime(rfc3339: text) else {
                    throw RPCError.invalidParams("since must be an RFC 3339 time such as 2026-12-06T17:00:00Z, not \"\(text)\"", path: "since")
                }
                since = time
            }
            let following = p.follow == true
            let channel = context.notifications
            if following && channel == nil {
                throw RPCError(.invalidRequest, "container.logs with follow streams on its connection: send it alone, not in a batch")
            }
            let id = try await engine.installedId(p.id)
            let log = ContainerLog(id: id, files: engine.configuration.layout.container(id).logFiles)
            let from = since
            let (lines, omitted) = try await ContainerEngine.blocking { try log.snapshot(tail: p.tail, since: from, following: following) }
            guard following, let channel else { return ContainerLogsResult(id: id.rawValue, lines: lines, omitted: omitted) }
            let name = "\(id.rawValue)-\(ContainerLogMethodProvider.followCount.withLock { $0 += 1; return $0 })"
            channel.afterReply { sink in await ContainerLogMethodProvider.follow(log, name: name, sink: sink) }
            return ContainerLogsResult(id: id.rawValue, lines: lines, omitted: omitted, follow: name)
        }
    }

    static func follow(_ log: ContainerLog, name: String, sink: NotificationSink) async {
        let ended = Lock(false)
        sink.onConnectionEnd { ended.withLock { $0 = true } }
        func send(_ lines: [LogLine], end: String? = nil) async -> Bool {
            let notification = ContainerLogNotification(follow: name, id: log.id.rawValue, lines: lines, end: end)
            guard let params = try? JSONValueEncoder().encode(notification) else { return false }
            return await sink.send(MethodName.containerLog.rawValue, params: params)
        }
        while !ended.withLock({ $0 }) {
            let lines: [LogLine]
            do { lines = try log.readNew(limit: followChunkBytes) } catch { return }
            if lines.isEmpty {
                if log.removed {
                    _ = await send([], end: "deleted")
                    return
                }
                do { try await Task.sleep(for: pollInterval) } catch { return }
                continue
            }
            var start = 0
            while start < lines.count {
                let end = min(start + followBatchLines, lines.count)
                guard await send(Array(lines[start..<end])) else { return }
                start = end
            }
        }
    }
}
