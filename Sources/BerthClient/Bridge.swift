import BerthSystem

/// Joins two byte streams (standard input and output) to a node's Unix socket, both ways, so a
/// remote `ssh host berth bridge` carries the protocol as if the client were local.
public enum Bridge {
    /// Copies `input` to the socket and the socket to `output` until the node closes its side.
    /// End of `input` half-closes the socket, so the node still answers what was sent. Runs on a
    /// dedicated thread: it blocks in its `PollLoop`.
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
        enum Side { case node, input }
        let loop = PollLoop<Side>()
        var inputOpen = true
        while true {
            loop.watch(socket.descriptor, for: .readable, owner: .node)
            if inputOpen { loop.watch(input, for: .readable, owner: .input) }
            var nodeClosed = false
            try loop.wait { side, _ in
                switch side {
                case .node:
                    switch try loop.read(socket.descriptor) {
                    case .bytes(let bytes): try output.writeAll(bytes)
                    case .wouldBlock: break
                    case .end: nodeClosed = true
                    }
                case .input:
                    guard !nodeClosed else { return }
                    switch try loop.read(input) {
                    case .bytes(let bytes):
                        var offset = 0
                        while offset < bytes.count {
                            let sent = try socket.send(bytes[offset...])
                            offset += sent ?? 0
                        }
                    case .wouldBlock: break
                    case .end:
                        inputOpen = false
                        socket.shutdown(.write)
                    }
                }
            }
            if nodeClosed { return }
        }
    }
}
