import BerthSystem

/// The state and I/O task behind a `DBusConnection`. Kept apart so the task can hold it without
/// keeping the public object (whose release closes the connection) alive.
final class DBusConnectionCore: Sendable {
    private enum Pending {
        /// Serial reserved, continuation not stored yet.
        case reserved
        /// Cancelled before the continuation was stored.
        case cancelled
        case waiting(CheckedContinuation<DBusMessage, any Error>)
    }

    private struct Subscriber {
        let rule: DBusMatchRule
        let queue: DBusMessages.Queue
        /// Wakes the consumer; finishing it ends the subscription.
        let continuation: AsyncStream<Void>.Continuation
    }

    private struct State {
        var nextSerial: UInt32 = 1
        var pending: [UInt32: Pending] = [:]
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 0
        var closeReason: DBusError?
    }

    private let socket: Connection
    private let state = Lock(State())
    private let outgoing: AsyncStream<[UInt8]>.Continuation
    private let task = Lock<Task<Void, Never>?>(nil)

    init(socket: Connection, leftover: [UInt8], trace: (@Sendable ([UInt8]) -> Void)?) {
        self.socket = socket
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        outgoing = continuation
        let pump = Task { [self] in
            await withTaskGroup(of: DBusError.self) { group in
                group.addTask { await self.readLoop(leftover: leftover, trace: trace) }
                group.addTask { await self.writeLoop(stream) }
                let reason = await group.next()!
                group.cancelAll()
                self.close(reason)
            }
        }
        task.withLock { $0 = pump }
    }

    var isClosed: Bool { state.withLock { $0.closeReason != nil } }
    /// Live signal streams (tests check that finished waits release theirs).
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }
    /// Calls waiting for a reply.
    var pendingCount: Int { state.withLock { $0.pending.count } }
    var closeReason: DBusError? { state.withLock { $0.closeReason } }

    private func readLoop(leftover: [UInt8], trace: (@Sendable ([UInt8]) -> Void)?) async -> DBusError {
        var framer = DBusFramer()
        framer.append(leftover)
        do {
            while true {
                while let frame = try framer.nextFrame() {
                    trace?(frame)
                    dispatch(try DBusMessage(decoding: frame))
                }
                let bytes = try await socket.read()
                if bytes.isEmpty { return DBusError.disconnected("peer closed the connection") }
                framer.append(bytes)
            }
        } catch let error as DBusProtocolError {
            return DBusError.disconnected("closed after a protocol error: \(error.message)")
        } catch {
            return DBusError.disconnected("read failed: \(error)")
        }
    }

    private func writeLoop(_ stream: AsyncStream<[UInt8]>) async -> DBusError {
        for await bytes in stream {
            do { try await socket.write(bytes) } catch { return DBusError.disconnected("write failed: \(error)") }
        }
        return DBusError.disconnected("connection closed")
    }

    private func dispatch(_ message: DBusMessage) {
        switch message.type {
        case .methodReturn, .error:
            guard let replySerial = message.replySerial else { return }
            let waiter: CheckedContinuation<DBusMessage, any Error>? = state.withLock { state in
                guard case .waiting(let c)? = state.pending[replySerial] else { return nil }
                state.pending[replySerial] = nil
                return c
            }
            waiter?.resume(returning: message)
        case .signal:
            let targets = state.withLock { $0.subscribers.values.filter { $0.rule.matches(message) } }
            for target in targets {
                target.queue.push(message)
                target.continuation.yield()
            }
        case .methodCall:
            // We export no objects; answer as the specification asks so the peer does not wait.
            let targets = state.withLock { $0.subscribers.values.filter { $0.rule.matches(message) } }
            for target in targets {
                target.queue.push(message)
                target.continuation.yield()
            }
            guard !message.flags.contains(.noReplyExpected) else { return }
            var reply = DBusMessage(type: .methodReturn, replySerial: message.serial, destination: message.sender)
            if message.interface != "org.freedesktop.DBus.Peer" || message.member != "Ping" {
                reply.type = .error
                reply.errorName = "org.freedesktop.DBus.Error.UnknownMethod"
                reply.body = [.string("no object exported at \(message.path ?? "?")")]
            }
            _ = try? send(reply)
        }
    }

    /// Assigns the next serial and queues the bytes, atomically, so serials go out in order.
    @discardableResult
    func send(_ message: DBusMessage) throws -> UInt32 {
        try state.withLock { state in
            if let reason = state.closeReason { throw reason }
            let serial = Self.takeSerial(&state)
            try enqueue(message, serial: serial)
            return serial
        }
    }

    private static func takeSerial(_ state: inout State) -> UInt32 {
        let serial = state.nextSerial
        state.nextSerial = serial == UInt32.max ? 1 : serial + 1
        return serial
    }

    private func enqueue(_ message: DBusMessage, serial: UInt32) throws {
        var message = message
        message.serial = serial
        outgoing.yield(try message.encoded())
    }

    func call(_ message: DBusMessage, timeout: Duration) async throws -> DBusMessage {
        let what = "\(message.interface ?? "").\(message.member ?? "") on \(message.path ?? "")"
        let reply = try await withTimeout(timeout, orThrow: { DBusError.noReply(what, after: timeout) }) {
            try await self.sendAndWait(message)
        }
        if let error = reply.error { throw error }
        return reply
    }

    /// Stores the continuation before the bytes leave: a reply may arrive (on the read task) before
    /// this task runs again.
    private func sendAndWait(_ message: DBusMessage) async throws -> DBusMessage {
        let serial: UInt32 = try state.withLock { state in
            if let reason = state.closeReason { throw reason }
            let serial = Self.takeSerial(&state)
            state.pending[serial] = .reserved
            return serial
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome: (any Error)? = state.withLock { state in
                    if let reason = state.closeReason { state.pending[serial] = nil; return reason }
                    guard case .reserved? = state.pending[serial] else {
                        state.pending[serial] = nil
                        return CancellationError()
                    }
                    do {
                        try enqueue(message, serial: serial)
                        state.pending[serial] = .waiting(continuation)
                        return nil
                    } catch {
                        state.pending[serial] = nil
                        return error
                    }
                }
                if let outcome { continuation.resume(throwing: outcome) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<DBusMessage, any Error>? = state.withLock { state in
                switch state.pending[serial] {
                case .reserved?:
                    state.pending[serial] = .cancelled
                    return nil
                case .waiting(let c)?:
                    state.pending[serial] = nil
                    return c
                default:
                    return nil
                }
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    func subscribe(_ rule: DBusMatchRule) -> DBusSubscription {
        // One pending wake-up is enough: the consumer takes every queued message before it waits again.
        let (wakeups, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let queue = DBusMessages.Queue()
        let subscription = DBusSubscription(messages: DBusMessages(queue: queue, wakeups: wakeups))
        let id: Int? = state.withLock { state in
            guard state.closeReason == nil else { return nil }
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = Subscriber(rule: rule, queue: queue, continuation: continuation)
            return id
        }
        guard let id else {
            continuation.finish()
            return subscription
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return subscription
    }

    func close(_ reason: DBusError) {
        let (waiters, subscribers): ([CheckedContinuation<DBusMessage, any Error>], [Subscriber]) = state.withLock { state in
            guard state.closeReason == nil else { return ([], []) }
            state.closeReason = reason
            let waiters = state.pending.values.compactMap { entry -> CheckedContinuation<DBusMessage, any Error>? in
                if case .waiting(let c) = entry { return c }
                return nil
            }
            state.pending = [:]
            let subscribers = Array(state.subscribers.values)
            state.subscribers = [:]
            return (waiters, subscribers)
        }
        outgoing.finish()
        socket.close()
        task.withLock { $0?.cancel() }
        for waiter in waiters { waiter.resume(throwing: reason) }
        for subscriber in subscribers { subscriber.continuation.finish() }
    }
}
