#if canImport(Glibc)
import Glibc
#endif

/// Readiness a `PollLoop` waits for and reports (poll(2)'s event bits).
public struct PollEvents: OptionSet, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let readable = PollEvents(rawValue: Int16(POLLIN))
    public static let writable = PollEvents(rawValue: Int16(POLLOUT))
    /// Reported only: the descriptor failed (a read or send says how).
    public static let error = PollEvents(rawValue: Int16(POLLERR))
    /// Reported only: the peer closed (a read returns the end of stream).
    public static let hangUp = PollEvents(rawValue: Int16(POLLHUP))
    /// What a reader acts on: data, the end of stream, or an error to read.
    public static let input: PollEvents = [.readable, .hangUp, .error]
}

/// The client side's poll(2) loop, run on the calling thread (give it a thread of its own: it blocks):
/// `berth`'s fan-out (`Exchanger`), its agent connection (`AgentClient`), `berth agent`'s server and
/// `berth bridge` all turn this one loop. A few dozen descriptors that change every turn are what
/// poll(2) is good at: no registration to keep in step, one call per turn. (The node's many long-lived
/// connections use the epoll `EventLoop` instead.)
///
/// One turn: the caller `watch`es each descriptor with what it waits for and an owner (who handles
/// it), names the earliest moment something must happen without I/O (`wake(at:)`), then `wait`s:
/// the loop polls, moves `now` on, and hands each ready owner its events. The watch list is cleared
/// for the next turn. Reads go through `read(_:)` into one buffer the loop owns, so nothing above
/// BerthSystem allocates or points at memory for a read.
public final class PollLoop<Owner> {
    private var fds: [pollfd] = []
    private var owners: [Owner] = []
    private var wakeAt: ContinuousClock.Instant?
    private let clock = ContinuousClock()
    private let buffer: UnsafeMutableRawBufferPointer
    /// The time of the last wake-up (or of `init`): what the handlers and timers of a turn go by.
    public private(set) var now: ContinuousClock.Instant

    /// What one `read` found.
    public enum ReadResult {
        /// Bytes, valid until the next `read` on this loop.
        case bytes(UnsafeBufferPointer<UInt8>)
        /// Nothing now (a non-blocking descriptor): wait for the next readiness.
        case wouldBlock
        /// The end of stream: the peer closed its side.
        case end
    }

    /// `bufferSize`: the most one `read` returns.
    public init(bufferSize: Int = 64 * 1024) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 1)
        now = clock.now
    }

    deinit { buffer.deallocate() }

    /// Polls `descriptor` for `events` this turn, handled by `owner`.
    public func watch(_ descriptor: FileDescriptor, for events: PollEvents, owner: Owner) {
        fds.append(pollfd(fd: descriptor.rawValue, events: events.rawValue, revents: 0))
        owners.append(owner)
    }

    /// Wakes this turn at `instant` at the latest (the earliest of every call wins; nil is no limit).
    public func wake(at instant: ContinuousClock.Instant?) {
        guard let instant else { return }
        if wakeAt.map({ instant < $0 }) ?? true { wakeAt = instant }
    }

    /// Waits until a watched descriptor is ready or the wake-up time came, sets `now`, and calls
    /// `handle` for each ready owner, in the order they were watched. An interrupted wait (a
    /// signal) returns with nothing handled. Throws when poll(2) fails. The watch list is empty
    /// afterwards. The corresponding C function is `poll`.
    public func wait(_ handle: (Owner, PollEvents) throws -> Void) throws {
        defer {
            fds.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            wakeAt = nil
        }
        let timeout = wakeAt.map { Socket.milliseconds(until: $0, from: now) } ?? -1
        let ready = poll(&fds, nfds_t(fds.count), timeout)
        if ready < 0 && errno != EINTR { throw SystemError("poll") }
        now = clock.now
        guard ready > 0 else { return }
        for (k, fd) in fds.enumerated() where fd.revents != 0 {
            try handle(owners[k], PollEvents(rawValue: fd.revents))
        }
    }

    /// One non-blocking read from `descriptor` (a socket or a pipe) into the loop's buffer, retried
    /// when a signal interrupts it. The corresponding C function is `read`.
    public func read(_ descriptor: FileDescriptor) throws -> ReadResult {
        while true {
            let n = Glibc.read(descriptor.rawValue, buffer.baseAddress, buffer.count)
            if n > 0 {
                return .bytes(UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n))
            }
            if n == 0 { return .end }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .wouldBlock
            default: throw SystemError("recv")
            }
        }
    }
}
