#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

/// Runs blocking work on a thread of its own, so it never occupies one of the few threads of Swift's
/// cooperative pool (two on a two-core host: a couple of blocking calls there stall every task).
///
/// Each call starts a fresh thread, which costs tens of microseconds: use it for work that blocks for
/// real (waitpid, flock, getaddrinfo, a slow fsync), not for quick non-blocking calls.
public enum DedicatedThread {
    /// Runs `body` on a new thread and returns its result to the suspended caller.
    ///
    /// `body` (and whatever it captured) is released on the thread before the caller resumes, so
    /// what it owned is gone when `run` returns: a descriptor closed by a captured object's deinit
    /// (ProcessRunner's cancellation eventfd) is closed by then, not a scheduling delay later.
    public static func run<T: Sendable>(name: String = "berth-blocking",
                                        _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<T, any Error>) in
            let work = Work(body)
            do {
                try start(name: name) { continuation.resume(with: work.runOnce()) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// The calling thread's name as the kernel knows it (15 bytes at most; the event loop's is
    /// "berth-epoll"); empty if it cannot be read. The corresponding C function is `pthread_getname_np`.
    public static var currentName: String {
        var buffer = [CChar](repeating: 0, count: 16)
        guard berth_get_thread_name(&buffer, buffer.count) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Starts a detached thread running `body`. The corresponding C function is `pthread_create`.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) throws {
        let box = Unmanaged.passRetained(ThreadBody(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            let box = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
            berth_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            throw SystemError("pthread_create", errno: Errno(rawValue: rc))
        }
        pthread_detach(thread)
    }
}

private final class ThreadBody {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

/// The body of one `DedicatedThread.run`, dropped as soon as it has run (see `run`). Only the thread
/// it was handed to touches it after `pthread_create`, which orders that hand-over.
private final class Work<T: Sendable>: @unchecked Sendable {
    private var body: (@Sendable () throws -> T)?
    init(_ body: @escaping @Sendable () throws -> T) { self.body = body }

    func runOnce() -> Result<T, any Error> {
        guard let body = body.take() else { preconditionFailure("DedicatedThread work run twice") }
        return Result { try body() }
    }
}
