import BerthSystem

/// Lets a handler keep going on its connection once its reply is written: `afterReply` hands the
/// server a body that runs right after the response, in the request's own task, with a sink for
/// notifications. Batched and in-process requests have no channel.
public final class NotificationChannel: Sendable {
    public let sink: NotificationSink
    private let followUp = Lock<(@Sendable (NotificationSink) async -> Void)?>(nil)

    init(sink: NotificationSink) { self.sink = sink }

    /// Runs `body` after this request's response has been written (at most one body per request).
    public func afterReply(_ body: @escaping @Sendable (NotificationSink) async -> Void) {
        followUp.withLock { $0 = body }
    }

    func takeFollowUp() -> (@Sendable (NotificationSink) async -> Void)? {
        followUp.withLock { body in defer { body = nil }; return body }
    }
}
