#if canImport(Glibc)
import Glibc
#endif
import BerthSystem
import CBerthShims

/// An `ssh` child joined to the client by a socket pair: its stdin and stdout are one end, and it
/// runs `berth bridge` on the remote host, so the protocol crosses the encrypted channel.
struct SSHTransport: Sendable {
    let processID: pid_t

    /// The ssh argv for an address; `--` keeps the host from ever being read as an option.
    static func arguments(user: String?, host: String, port: UInt16?, remoteCommand: [String]) -> [String] {
        var argv = ["-T", "-o", "BatchMode=yes"]
        if let port { argv += ["-p", "\(port)"] }
        if let user { argv += ["-l", user] }
        return argv + ["--", host] + remoteCommand
    }

    /// Spawns `ssh` (found on PATH unless `executable` is a path) and returns the connection to it.
    static func start(executable: String, arguments: [String], environment: [String: String]) throws -> (Connection, SSHTransport) {
        guard let path = resolve(executable, path: environment["PATH"] ?? "/usr/bin:/bin") else {
            throw ClientError(.unreachable, "cannot run \(executable): not found on PATH")
        }
        let (ours, theirs) = try Socket.pair()
        defer { theirs.close() }
        var pid: pid_t = 0
        let argv = [executable] + arguments
        let envp = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let rc = withCStrings(argv) { argvPointer in
            withCStrings(envp) { envpPointer in
                // stderr stays ours (fd 2), so ssh's own errors reach the person.
                berth_spawn(&pid, path, argvPointer, envpPointer, nil, theirs.descriptor.rawValue, theirs.descriptor.rawValue, 2, 0)
            }
        }
        guard rc == 0 else {
            ours.close()
            throw ClientError(.unreachable, "cannot run \(path): \(Errno(rawValue: rc))")
        }
        return (try Connection(ours), SSHTransport(processID: pid))
    }

    /// Stops ssh (the session is over) and reaps it, on a thread of its own.
    func finish() async {
        let pid = processID
        _ = try? await DedicatedThread.run {
            kill(pid, SIGTERM)
            var status: CInt = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    static func resolve(_ name: String, path: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
