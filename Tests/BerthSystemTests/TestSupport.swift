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
func expectNoDescriptorLeak(_ sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () async throws -> Void) async throws {
    _ = EventLoop.shared  // its epoll and eventfd are opened once, not by the code under test
    let before = try FileDescriptor.openDescriptors()
    try await body()
    // A connection closed by the peer may be released a moment after the last task let go of it.
    var after = try FileDescriptor.openDescriptors()
    for _ in 0..<50 where after.count > before.count {
        try await Task.sleep(for: .milliseconds(20))
        after = try FileDescriptor.openDescriptors()
    }
    // The count is the whole process's, and suites running alongside open and close their own (pipes
    // to child processes, sockets): a leak shows as a surplus that never drains; fewer is someone
    // else's close.
    #expect(after.count <= before.count, "leaked descriptors: \(Set(after).subtracting(before).sorted())",
            sourceLocation: sourceLocation)
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
