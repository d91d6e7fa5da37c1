#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

/// Signals as async streams: a process-wide handler writes each signal's number to a pipe (the one
/// async-signal-safe thing it does), the event loop reads the pipe and hands the signals to streams.
///
/// Call `trap` first thing at startup, so SIGTERM during start-up is held for the first stream instead
/// of killing the process. Children started by `ProcessRunner` get every signal back at its default.
public enum Signals {
    /// Replaces the default action of `signals` process-wide with delivery to `stream`s. Signals that
    /// arrive before any stream asks for them are kept (up to 64) for the first one that does.
    /// Idempotent. The corresponding C function is `sigaction`.
    public static func trap(_ signals: [Signal]) throws {
        try SignalHub.shared.trap(signals)
    }

    /// The signals among `signals` as they arrive (trapping them first if needed). The stream ends when
    /// the consuming task drops it.
    public static func stream(_ signals: Set<Signal>) throws -> AsyncStream<Signal> {
        try SignalHub.shared.trap(Array(signals))
        return SignalHub.shared.subscribe(signals)
    }

    /// Gives `signals` their default action back.
    public static func restoreDefault(_ signals: [Signal]) {
        SignalHub.shared.restore(signals)
    }
}

private final class SignalHub: Sendable {
    static let shared = SignalHub()

    private struct State {
        var readFD: CInt = -1
        var writeFD: CInt = -1
        var registration: Registration?
        var trapped: Set<Signal> = []
        var subscribers: [Int: (signals: Set<Signal>, continuation: AsyncStream<Signal>.Continuation)] = [:]
        var nextSubscriber = 0
        var pending: [Signal] = []
    }

    private let state = Lock(State())

    func trap(_ signals: [Signal]) throws {
        try state.withLock { s in
            if s.registration == nil {
                var fds: [CInt] = [-1, -1]
                guard berth_pipe2(&fds, 1) == 0 else { throw SystemError("pipe2") }
                let readFD = fds[0]
                do {
                    s.registration = try EventLoop.shared.register(readFD) { [self] in deliver(from: readFD) }
                } catch {
                    Glibc.close(fds[0])
                    Glibc.close(fds[1])
                    throw error
                }
                s.readFD = fds[0]
                s.writeFD = fds[1]
            }
            for signal in signals where !s.trapped.contains(signal) {
                guard berth_signal_forward(signal.rawValue, s.writeFD) == 0 else { throw SystemError("sigaction") }
                s.trapped.insert(signal)
            }
        }
    }

    func restore(_ signals: [Signal]) {
        state.withLock { s in
            for signal in signals where s.trapped.remove(signal) != nil { _ = berth_signal_default(signal.rawValue) }
        }
    }

    func subscribe(_ signals: Set<Signal>) -> AsyncStream<Signal> {
        let (stream, continuation) = AsyncStream<Signal>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id = state.withLock { s in
            let id = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[id] = (signals, continuation)
            s.pending.removeAll { signal in
                guard signals.contains(signal) else { return false }
                continuation.yield(signal)
                return true
            }
            return id
        }
        continuation.onTermination = { [self] _ in _ = state.withLock { $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    /// Runs on the loop thread whenever the pipe has bytes.
    private func deliver(from fd: CInt) {
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            state.withLock { s in
                for byte in buffer[..<n] {
                    let signal = Signal(rawValue: CInt(byte))
                    var delivered = false
                    for subscriber in s.subscribers.values where subscriber.signals.contains(signal) {
                        subscriber.continuation.yield(signal)
                        delivered = true
                    }
                    if !delivered && s.pending.count < 64 { s.pending.append(signal) }
                }
            }
        }
    }
}
