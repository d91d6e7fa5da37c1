#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

/// A child that runs alongside the caller rather than to completion: its standard input and output
/// are one end of a socket the caller keeps talking on (an `ssh` session carrying the protocol), and
/// its standard error stays the caller's, so what it says reaches the person.
///
/// `ProcessRunner` is the choice for a child whose output is collected; both start children the
/// same way (`spawn(_:path:stdin:stdout:stderr:)`).
public struct ChildProcess: Hashable, Sendable {
    public let processID: pid_t

    /// Starts `request`'s program with `socket` as its standard input and output. Only the
    /// executable, arguments, environment, working directory and process-group setting of the
    /// request apply; the caller still owns (and closes) `socket`. The corresponding C function is
    /// `posix_spawn`.
    public static func spawn(_ request: ProcessRequest, standardInputOutput socket: Socket) throws -> ChildProcess {
        try request.validate()
        let fd = socket.descriptor.rawValue
        let pid = try spawn(request, path: request.resolvedExecutable(), stdin: fd, stdout: fd, stderr: 2)
        return ChildProcess(processID: pid)
    }

    /// Sends SIGTERM and reaps the child, waiting on a thread of its own.
    public func terminate() async {
        let pid = processID
        _ = try? await DedicatedThread.run {
            kill(pid, SIGTERM)
            var status: CInt = 0
            _ = retryingOnInterrupt { waitpid(pid, &status, 0) }
        }
    }

    /// Spawns `path` with `request`'s argv, environment, directory and process group, and the given
    /// descriptors as 0, 1 and 2 (stdin < 0: /dev/null). Every other descriptor is closed in the child.
    static func spawn(_ request: ProcessRequest, path: String, stdin: CInt, stdout: CInt, stderr: CInt) throws -> pid_t {
        let argv = [request.executable] + request.arguments
        let envp = request.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let group: CInt = request.newProcessGroup ? 1 : 0
        var pid: pid_t = 0
        let rc = withCStringArray(argv) { argvPointer in
            withCStringArray(envp) { envpPointer in
                if let dir = request.workingDirectory {
                    return berth_spawn(&pid, path, argvPointer, envpPointer, dir, stdin, stdout, stderr, group)
                }
                return berth_spawn(&pid, path, argvPointer, envpPointer, nil, stdin, stdout, stderr, group)
            }
        }
        guard rc == 0 else {
            let detail = request.workingDirectory.map { " (in \($0))" } ?? ""
            throw ProcessRunnerError("cannot run \(path)\(detail): \(Errno(rawValue: rc))")
        }
        return pid
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
