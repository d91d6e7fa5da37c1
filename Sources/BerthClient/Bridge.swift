#if canImport(Glibc)
import Glibc
#endif
import BerthSystem

/// Joins two byte streams (standard input and output) to a node's Unix socket, both ways, so a
/// remote `ssh host berth bridge` carries the protocol as if the client were local.
public enum Bridge {
    /// Copies `input` to the socket and the socket to `output` until the node closes its side.
    /// End of `input` half-closes the socket, so the node still answers what was sent. Runs on a
    /// dedicated thread: it blocks in poll(2).
    public static func run(socketPath: String, input: FileDescriptor = .standardInput,
                           output: FileDescriptor = .standardOutput, connectTimeout: Duration) async throws {
        let socket: Socket
        do {
            socket = try await DedicatedThread.run { try Socket.connect(to: .unix(path: socketPath), timeout: connectTimeout) }
        } catch {
            throw ClientError(.unreachable, "cannot reach unix:\(socketPath): \(error)")
        }
        try await DedicatedThread.run(name: "berth-bridge") {
            defer { socket.close() }
            try pump(socket: socket, input: input, output: output)
        }
    }

    static func pump(socket: Socket, input: FileDescriptor, output: FileDescriptor) throws {
        var inputOpen = true
        while true {
            var fds = [pollfd(fd: socket.descriptor.rawValue, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: inputOpen ? input.rawValue : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SystemError("poll")
            }
            if fds[0].revents != 0 {
                guard let bytes = try socket.receive(upTo: 64 * 1024) else { continue }
                if bytes.isEmpty { return }
                try output.writeAll(bytes)
            }
            if inputOpen && fds[1].revents != 0 {
                let bytes = try input.read(upTo: 64 * 1024)
                if bytes.isEmpty {
                    inputOpen = false
                    socket.shutdown(.write)
                    continue
                }
                var offset = 0
                while offset < bytes.count {
                    let sent = try bytes[offset...].withUnsafeBytes { try socket.send($0) }
                    offset += sent ?? 0
                }
            }
        }
    }
}
