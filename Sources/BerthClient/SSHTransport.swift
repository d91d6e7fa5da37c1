import BerthSystem

/// An `ssh` child joined to the client by a socket pair: its stdin and stdout are one end, and it
/// runs `berth bridge` on the remote host, so the protocol crosses the encrypted channel.
struct SSHTransport: Sendable {
    let child: ChildProcess

    /// The ssh argv for an address; `--` keeps the host from ever being read as an option.
    static func arguments(user: String?, host: String, port: UInt16?, remoteCommand: [String]) -> [String] {
        var argv = ["-T", "-o", "BatchMode=yes"]
        if let port { argv += ["-p", "\(port)"] }
        if let user { argv += ["-l", user] }
        return argv + ["--", host] + remoteCommand
    }

    /// Spawns `ssh` (found on PATH unless `executable` is a path) and returns the connection to it.
    static func start(executable: String, arguments: [String], environment: [String: String]) throws -> (Connection, SSHTransport) {
        let (ours, theirs) = try Socket.pair()
        defer { theirs.close() }
        // Same process group as berth: a ^C at the terminal stops ssh too.
        let request = ProcessRequest(executable, arguments, environment: environment, newProcessGroup: false)
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(request, standardInputOutput: theirs)
        } catch {
            ours.close()
            throw ClientError(.unreachable, "\(error)")
        }
        return (try Connection(ours), SSHTransport(child: child))
    }

    /// Stops ssh (the session is over) and reaps it.
    func finish() async {
        await child.terminate()
    }
}
