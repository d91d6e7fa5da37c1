#if canImport(Glibc)
import Glibc
#endif

/// A value that threads share, guarded by a `pthread_mutex_t`: the project's one lock type.
///
/// Why not `Synchronization.Mutex`: on Linux it parks on a futex of its own, which ThreadSanitizer
/// does not see, so two threads that only ever touch a value under `withLock` are reported as a
/// data race, and real races drown among such reports. TSan intercepts `pthread_mutex_lock`, so with
/// this type every report `Scripts/test --sanitize thread` prints is a real one. Uncontended, both
/// cost one atomic compare-and-swap to lock and one to unlock.
///
/// The API is `Mutex`'s `withLock`, with the same `sending` rules, so a value can only leave the lock
/// when no other reference to it stays behind. The mutex lives in memory of its own (a pthread mutex
/// must never move, and a class's stored properties give no such promise).
public final class Lock<Value: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ initialValue: consuming sending Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // Default attributes: a normal mutex, not recursive. Locking it again from inside `withLock`
        // is a bug (it deadlocks), as with `Mutex`.
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
        value = initialValue
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value. The corresponding C functions are
    /// `pthread_mutex_lock` and `pthread_mutex_unlock`.
    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        let rc = pthread_mutex_lock(mutex)
        precondition(rc == 0, "pthread_mutex_lock failed: \(rc)")
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
