#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

/// Every suite of this target nests in this one, so the tests run one at a time: descriptor counts
/// (the leak checks) are only meaningful when no other test opens descriptors meanwhile.
@Suite(.serialized) struct SystemTests {}

/// A fresh directory under /tmp (short, so socket paths fit sun_path), removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/berth-sys-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw SystemError("mkdtemp")
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func remove() { try? FileSystem.removeTree(path) }
}

/// Runs `body` and fails the test if it leaves more descriptors open than it found.
///
/// libdispatch's timer descriptors do not count: it opens a timerfd the first time a timer of a
/// clock and quality of service is armed (a `Task.sleep`, a connect timeout) and keeps it for the
/// life of the process, so whichever test arms one first would look as if it leaked. Berth opens no
/// timerfd of its own, so leaving them out hides none of its leaks.
///
/// With `drains`, a surplus may still go away after `body` returns: a connection closed while a task
/// waits on it is released when that task leaves, a moment later on the cooperative pool. The wait
/// ends as soon as the count is back; its bound (a minute) only stops a real leak from hanging the run.
/// Without it, every descriptor must be closed by the time `body` returns.
func expectNoDescriptorLeak(drains: Bool = true, _ sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () async throws -> Void) async throws {
    _ = EventLoop.shared  // its epoll and eventfd are opened once, not by the code under test
    let before = try countedDescriptors()
    try await body()
    var after = try countedDescriptors()
    let deadline = ContinuousClock.now + .seconds(60)
    while drains, after.count > before.count, ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
        after = try countedDescriptors()
    }
    // The count is the whole process's: a leak shows as a surplus that never drains; fewer is
    // someone else's close (a descriptor opened before `body` and closed meanwhile).
    let leaked = Set(after.keys).subtracting(before.keys).sorted().map { "\($0) -> \(after[$0] ?? "?")" }
    #expect(after.count <= before.count, "leaked descriptors: \(leaked)", sourceLocation: sourceLocation)
}

/// The process's open descriptors and what each refers to, without libdispatch's timerfds.
private func countedDescriptors() throws -> [CInt: String] {
    var result: [CInt: String] = [:]
    for fd in try FileDescriptor.openDescriptors() {
        var target = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
        let name = n > 0 ? String(decoding: target[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        if name == "anon_inode:[timerfd]" { continue }
        result[fd] = name
    }
    return result
}

func fileMode(_ path: String) -> mode_t? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return st.st_mode
}

extension Listener {
    /// The two ends of one connection to this listener: a client connects while the listener accepts.
    func connectedPair(timeout: Duration? = .seconds(2)) async throws -> (client: Connection, server: Connection) {
        async let accepted = accept()
        let client = try await Connection.connect(to: localAddress(), timeout: timeout)
        return (client, try await accepted)
    }
}

extension Connection {
    /// One read that fails the test instead of hanging it when nothing (not even end of stream)
    /// comes within `limit`.
    func read(within limit: Duration) async throws -> [UInt8] {
        struct NothingCame: Error, CustomStringConvertible {
            let limit: Duration
            var description: String { "nothing came within \(limit)" }
        }
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { try await self.read() }
            group.addTask { try await Task.sleep(for: limit); return nil }
            let first = try await group.next()!
            group.cancelAll()
            guard let bytes = first else { throw NothingCame(limit: limit) }
            return bytes
        }
    }
}
