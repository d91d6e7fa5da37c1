#if canImport(Glibc)
import Glibc
#endif
import BerthSystem
import Testing
@testable import BerthDBus

/// The live and socket suites share one parent so they never run concurrently: each live test starts
/// its own private systemd manager (two at once on two cores only slow each other down), and the
/// descriptor-leak check is only meaningful when no other test opens descriptors meanwhile.
@Suite(.serialized) struct SerializedTests {}

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = FileSystem.directoryName(of: path) }
    return path
}()

/// Where captured messages are kept, beside the tests.
let fixturesDirectory = FileSystem.directoryName(of: #filePath) + "/Fixtures"

/// A fresh directory under /tmp (short, so socket paths fit sun_path).
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/berth-dbus-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { throw SystemError("mkdtemp") }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A private systemd manager started through Scripts/lib/manager.sh (the only sanctioned way).
struct PrivateManager: Sendable {
    let directory: String
    var runtimeDirectory: String { directory + "/xdg" }
    var unitDirectory: String { directory + "/units" }
    var socketPath: String { runtimeDirectory + "/systemd/private" }

    static func bash(_ script: String, timeout: Duration = .seconds(30)) async throws -> ProcessResult {
        let full = "set -u\nsource \(shellQuote(repositoryRoot + "/Scripts/lib/manager.sh"))\n" + script
        return try await ProcessRunner.run(ProcessRequest("/bin/bash", ["-c", full], environment: ProcessRequest.inheritedEnvironment,
                                                          timeout: timeout))
    }

    static func start() async throws -> PrivateManager {
        let directory = try makeTemporaryDirectory()
        let result = try await bash("manager_start \(shellQuote(directory))")
        guard result.succeeded else {
            _ = try? await bash("MANAGER_DIR=\(shellQuote(directory)); manager_stop")
            try? FileSystem.removeTree(directory)
            throw ProcessRunnerError("manager_start failed: \(result.stderrText)")
        }
        return PrivateManager(directory: directory)
    }

    func stop() async {
        _ = try? await PrivateManager.bash("MANAGER_DIR=\(shellQuote(directory)); manager_stop")
        try? FileSystem.removeTree(directory)
    }

    /// `systemctl --user ARGS` against this manager: the independent witness.
    func systemctl(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run(ProcessRequest("/usr/bin/systemctl", ["--user"] + arguments, environment: [
            "PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": runtimeDirectory, "XDG_CONFIG_HOME": directory + "/config",
            "SYSTEMD_UNIT_PATH": unitDirectory + ":",
        ], timeout: .seconds(30)))
    }

    func writeUnit(_ name: String, _ text: String) throws {
        try FileSystem.writeAtomically(Array(text.utf8), to: unitDirectory + "/" + name)
    }

    /// Runs `body` with a fresh manager, stopping it on every path.
    static func with<T: Sendable>(_ body: (PrivateManager) async throws -> T) async throws -> T {
        let manager = try await start()
        do {
            let result = try await body(manager)
            await manager.stop()
            return result
        } catch {
            await manager.stop()
            throw error
        }
    }
}

func shellQuote(_ s: String) -> String { "'" + s.replacingAll("'", with: "'\\''") + "'" }

/// Reads a fixture captured from real systemd.
func fixture(_ name: String) throws -> [UInt8] {
    try FileSystem.read(fixturesDirectory + "/" + name)
}

struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with `TestTimeout` after `limit`, so a missing signal fails a test instead
/// of hanging the run.
func within<T: Sendable>(_ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask { try await Task.sleep(for: limit); return nil }
        let first = try await group.next()!
        group.cancelAll()
        guard let first else { throw TestTimeout(what: what) }
        return first
    }
}
