#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

/// One thread blocked in `epoll_wait`, waking the tasks that wait for a descriptor to become readable
/// or writable.
///
/// It is also a `TaskExecutor`: a task that prefers it (`withTaskExecutorPreference`) runs on the
/// loop thread, so a wake-up for its descriptor resumes it right there, without handing it to
/// another thread (a futex wake and a context switch each time). The node serves connections this
/// way; such work must never block and should be short (docs/architecture-system.md).
///
/// The loop only dispatches readiness: the reads and writes themselves run on the calling task's
/// thread as non-blocking syscalls. Descriptors are registered once, edge-triggered, for input and
/// output, so waiting never needs an `epoll_ctl` call; see docs/architecture-system.md.
public final class EventLoop: Sendable {
    /// The process-wide loop, started on first use and never stopped.
    public static let shared: EventLoop = {
        do { return try EventLoop(name: "berth-epoll") } catch { fatalError("cannot start the event loop: \(error)") }
    }()

    private let epoll: CInt
    private let wakeup: CInt
    private let registry = Lock(Registry())
    private let queue = Lock(JobQueue())
    private static let wakeupID: UInt64 = 0

    /// Jobs of tasks that prefer this loop as their executor, run between two `epoll_wait`s.
    private struct JobQueue: ~Copyable {
        var jobs: [UnownedJob] = []
        /// True while the loop thread sleeps in (or is about to enter) `epoll_wait` with no job
        /// queued: an enqueue must wake it through the eventfd.
        var sleeping = false
        /// The loop has stopped: jobs go to the global executor instead.
        var stopped = false
    }

    private struct Registry {
        var nextID: UInt64 = 1
        var entries: [UInt64: Registration] = [:]
        var stopping = false
    }

    /// Starts a loop on a new thread. Loops other than `shared` are for tests: stop them with `shutdown()`.
    public init(name: String = "berth-epoll") throws {
        let epoll = berth_epoll_create()
        guard epoll >= 0 else { throw SystemError("epoll_create1") }
        let wakeup = berth_eventfd()
        guard wakeup >= 0 else {
            let error = SystemError("eventfd")
            Glibc.close(epoll)
            throw error
        }
        guard berth_epoll_ctl(epoll, BERTH_EPOLL_CTL_ADD, wakeup, BERTH_EPOLLIN, Self.wakeupID) == 0 else {
            let error = SystemError("epoll_ctl")
            Glibc.close(epoll)
            Glibc.close(wakeup)
            throw error
        }
        self.epoll = epoll
        self.wakeup = wakeup
        do {
            try DedicatedThread.start(name: name) { [self] in run() }
        } catch {
            Glibc.close(epoll)
            Glibc.close(wakeup)
            throw error
        }
    }

    /// Stops the loop thread and fails every waiting task with `SocketError.closed`. Descriptors stay
    /// open: their owners close them.
    public func shutdown() {
        let already = registry.withLock { r in
            defer { r.stopping = true }
            return r.stopping
        }
        if already { return }
        var one: UInt64 = 1
        _ = Glibc.write(wakeup, &one, MemoryLayout<UInt64>.size)
    }

    /// Registers `fd` (edge-triggered, input and output). `onReadable` runs on the loop thread and must
    /// be quick; connections leave it nil and wait through the registration instead.
    func register(_ fd: CInt, onReadable: (@Sendable () -> Void)? = nil) throws -> Registration {
        let registration = try registry.withLock { r -> Registration in
            guard !r.stopping else { throw SocketError(.closed, "the event loop has stopped") }
            let id = r.nextID
            r.nextID += 1
            let registration = Registration(id: id, fd: fd, loop: self, onReadable: onReadable)
            r.entries[id] = registration
            return registration
        }
        let events = BERTH_EPOLLIN | BERTH_EPOLLOUT | BERTH_EPOLLRDHUP | BERTH_EPOLLET
        guard berth_epoll_ctl(epoll, BERTH_EPOLL_CTL_ADD, fd, events, registration.id) == 0 else {
            let error = SystemError("epoll_ctl")
            _ = registry.withLock { $0.entries.removeValue(forKey: registration.id) }
            throw error
        }
        return registration
    }

    /// Forgets a registration. Events already read for it are dropped because they carry its id,
    /// never its descriptor number, which the kernel may hand out again right after close.
    func deregister(_ registration: Registration) {
        _ = berth_epoll_ctl(epoll, BERTH_EPOLL_CTL_DEL, registration.fd, 0, 0)
        _ = registry.withLock { $0.entries.removeValue(forKey: registration.id) }
    }

    /// Rounds of queued jobs the loop runs before it looks at its descriptors again. A round's jobs
    /// often queue the next step of the same tasks (a read's continuation, a child task); running
    /// those at once instead of after an `epoll_wait(0)` each saves a syscall per step (a one-shot
    /// connection took 18). The bound keeps a task that re-queues itself forever from
    /// starving the sockets.
    static let jobRoundsPerPoll = 16

    private func run() {
        let capacity = 64
        var ids = [UInt64](repeating: 0, count: capacity)
        var masks = [UInt32](repeating: 0, count: capacity)
        var batch: [UnownedJob] = []
        while true {
            // The jobs queued so far and those they queue, up to `jobRoundsPerPoll` rounds; then the
            // descriptors: sleeping only when the queue was found empty (in the same lock that tells
            // `enqueue` to wake the thread), else just a look without waiting.
            var idle = false
            for _ in 0..<Self.jobRoundsPerPoll {
                queue.withLock { q in
                    swap(&batch, &q.jobs)
                    q.sleeping = batch.isEmpty
                }
                if batch.isEmpty { idle = true; break }
                for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
                batch.removeAll(keepingCapacity: true)
            }
            let n = berth_epoll_wait(epoll, &ids, &masks, CInt(capacity), idle ? -1 : 0)
            queue.withLock { $0.sleeping = false }
            if n < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait failed: \(Errno.current)")
            }
            for i in 0..<Int(n) {
                if ids[i] == Self.wakeupID {
                    if registry.withLock({ $0.stopping }) { return stop() }
                    var count: UInt64 = 0
                    _ = Glibc.read(wakeup, &count, MemoryLayout<UInt64>.size)  // level-triggered: drain it
                    continue
                }
                let registration = registry.withLock { $0.entries[ids[i]] }
                registration?.handle(events: masks[i])
            }
        }
    }

    private func stop() {
        let remaining = registry.withLock { r in
            defer { r.entries = [:] }
            return Array(r.entries.values)
        }
        let orphans = queue.withLock { q in
            q.stopped = true
            defer { q.jobs = [] }
            return q.jobs
        }
        for job in orphans { globalConcurrentExecutor.enqueue(job) }
        for registration in remaining { registration.loopStopped() }
        Glibc.close(epoll)
        Glibc.close(wakeup)
    }
}

extension EventLoop: TaskExecutor {
    /// Queues a job to run on the loop thread, waking the thread when it sleeps in `epoll_wait`.
    /// After `shutdown()` jobs run on the global executor, so no task is stranded.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let (wake, stopped) = queue.withLock { q -> (Bool, Bool) in
            if q.stopped { return (false, true) }
            q.jobs.append(unowned)
            defer { q.sleeping = false }
            return (q.sleeping, false)
        }
        if stopped {
            globalConcurrentExecutor.enqueue(unowned)
        } else if wake {
            var one: UInt64 = 1
            _ = Glibc.write(wakeup, &one, MemoryLayout<UInt64>.size)
        }
    }
}
