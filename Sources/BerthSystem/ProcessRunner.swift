#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

/// Runs programs with posix_spawn: argv arrays (never a shell), an explicit environment, every signal
/// at its default action and none blocked, only descriptors 0, 1 and 2 in the child, bounded output
/// and a timeout.
///
/// The async `run` does all blocking work (poll, waitpid) on a dedicated thread, never on the
/// cooperative pool. Cancelling the calling task stops the child as a timeout does (SIGTERM, then
/// SIGKILL after the grace period) and then throws `CancellationError`.
public enum ProcessRunner {
    /// Runs `request` to completion without blocking a cooperative thread.
    public static func run(_ request: ProcessRequest) async throws -> ProcessResult {
        try request.validate()
        let cancellation = try CancellationSignal()
        return try await withTaskCancellationHandler {
            try await DedicatedThread.run(name: "berth-process") {
                try ProcessExecution(request: request, cancellation: cancellation).run()
            }
        } onCancel: {
            cancellation.fire()
        }
    }

    /// Runs `request` to completion on the calling thread (which it blocks: never call this from a task).
    public static func runBlocking(_ request: ProcessRequest) throws -> ProcessResult {
        try request.validate()
        return try ProcessExecution(request: request, cancellation: nil).run()
    }
}

/// An eventfd a poll loop watches, so another thread can interrupt its wait: a cancelled task the
/// process loop, `stop` the agent's `PollLoop`. Once fired it stays readable.
public final class CancellationSignal: Sendable {
    let fd: CInt

    public init() throws {
        fd = berth_eventfd()
        guard fd >= 0 else { throw SystemError("eventfd") }
    }

    /// What a poll loop watches (readable once fired).
    public var descriptor: FileDescriptor { FileDescriptor(rawValue: fd) }

    public func fire() {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, MemoryLayout<UInt64>.size)
    }

    /// Takes back the firings so far, for a signal fired again and again (each wake-up handled
    /// once); true when there were any. The corresponding C function is `read`.
    public func consume() -> Bool {
        var count: UInt64 = 0
        return Glibc.read(fd, &count, MemoryLayout<UInt64>.size) == MemoryLayout<UInt64>.size
    }

    deinit { Glibc.close(fd) }
}
