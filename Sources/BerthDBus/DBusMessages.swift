import BerthSystem

/// The incoming messages of one subscription (`DBusConnection.messages(matching:)`), in arrival order,
/// until the connection closes or the consumer stops iterating.
///
/// The messages themselves pass through a `Lock`-guarded queue, not through an `AsyncStream`: a
/// message is decoded on the connection's read task and read on the consumer's, and the hand-off
/// inside `AsyncStream` (the runtime's own lock, or resuming a suspended consumer) is invisible to
/// ThreadSanitizer, which then reported the decoder's writes (`DBusReader.read`) and the consumer's
/// reads (`UnitStateCache.apply`) as a race. Through the `Lock` (a `pthread_mutex_t`, which TSan
/// intercepts) the order is one it sees. An `AsyncStream<Void>` only wakes the consumer, and its
/// end (or the consumer's cancellation or going away) ends the subscription as before.
public struct DBusMessages: AsyncSequence, Sendable {
    public typealias Element = DBusMessage
    public typealias Failure = Never

    let queue: Queue
    let wakeups: AsyncStream<Void>

    /// The producer's side: the connection pushes each message, then wakes the consumer.
    final class Queue: Sendable {
        private struct State {
            var messages: [DBusMessage] = []
            var head = 0
            var delivered = 0
        }
        private let state = Lock(State())

        func push(_ message: DBusMessage) {
            state.withLock { state in
                state.messages.append(message)
                state.delivered += 1
            }
        }

        func take() -> DBusMessage? {
            state.withLock { state in
                guard state.head < state.messages.count else { return nil }
                let message = state.messages[state.head]
                state.head += 1
                // Taken messages are dropped in batches, so a long queue is not shifted per message.
                if state.head == state.messages.count {
                    state.messages.removeAll(keepingCapacity: true)
                    state.head = 0
                } else if state.head >= 64, state.head * 2 >= state.messages.count {
                    state.messages.removeFirst(state.head)
                    state.head = 0
                }
                return message
            }
        }

        /// Messages pushed since the subscription began.
        var delivered: Int { state.withLock { $0.delivered } }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: Queue
        var wakeups: AsyncStream<Void>.Iterator

        public mutating func next() async -> DBusMessage? {
            while true {
                if let message = queue.take() { return message }
                guard await wakeups.next() != nil else { return Task.isCancelled ? nil : queue.take() }
            }
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> DBusMessage? {
            while true {
                if let message = queue.take() { return message }
                guard await wakeups.next(isolation: actor) != nil else { return Task.isCancelled ? nil : queue.take() }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: queue, wakeups: wakeups.makeAsyncIterator())
    }
}
