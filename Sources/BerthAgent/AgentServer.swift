import BerthClient
import BerthProtocol
import BerthSystem

/// `berth agent`: keeps authenticated connections to tcp:// nodes open between commands, like ssh's
/// ControlMaster. `berth` hands it each node's planned calls over a Unix socket of the user's own
/// (`AgentProtocol`); the agent runs them with the same `Conversation` code `berth` runs itself, on a
/// connection left open by an earlier command when it has one for that node, address and secret, and
/// answers with the node's responses. A command then costs each node one request and one answer
/// instead of a TCP connection, two handshake round trips and a close (docs/benchmarks.md).
///
/// One thread, one `PollLoop`: the listener, the clients, the node connections working for them,
/// the idle ones (a node closing one is noticed at once and it is dropped) and the signals `stop`
/// and `reauthenticate` fire. Everything but those two runs on the thread that called `serve`.
public final class AgentServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var socketPath: String
        /// How long an idle node connection is kept (below berthd's default idle timeout of 300 s,
        /// so the node rarely closes one just as it is reused).
        public var keep: Duration
        public init(socketPath: String, keep: Duration = .seconds(120)) {
            self.socketPath = socketPath
            self.keep = keep
        }
    }

    /// At most this many idle connections are kept per node (a command uses one per node; more
    /// only when commands overlap).
    static let idlePerNode = 4

    private final class Client {
        let socket: Socket
        var framer = LineFramer(limit: AgentProtocol.lineLimit)
        var outbox: [UInt8] = []
        /// The socket took less than the outbox: wait for POLLOUT (else the outbox may be held back
        /// on purpose, see `burstLimit`).
        var blocked = false
        /// Exchanges started for this client and not answered yet.
        var pending = 0
        /// The client sent its end of input (or a line too long): close once everything is answered.
        var ending = false
        var closed = false
        init(_ socket: Socket) { self.socket = socket }
    }

    private final class Job {
        let client: Client
        let id: RPCID
        let exchange: AgentProtocol.Exchange
        /// Every call only reads: safe to send again on a fresh connection when a kept one broke.
        let readOnly: Bool
        var retried = false
        init(client: Client, id: RPCID, exchange: AgentProtocol.Exchange) {
            self.client = client
            self.id = id
            self.exchange = exchange
            readOnly = exchange.node.calls.allSatisfy { Handshake.mayPrecedeProof($0.method) }
        }
    }

    private struct Idle {
        let peer: NodePeer
        let since: ContinuousClock.Instant
    }

    public let configuration: Configuration
    private let listener: Socket
    private let stopSignal: CancellationSignal
    private let reauthenticateSignal: CancellationSignal
    /// Connections busy when `reauthenticate` fired: closed when their exchange ends, not kept.
    private var retiring: Set<ObjectIdentifier> = []
    private var clients: [Client] = []
    private var busy: [(peer: NodePeer, job: Job)] = []
    private var idle: [AgentProtocol.PoolKey: [Idle]] = [:]
    /// Node addresses as `agent.exchange` wrote them, parsed.
    private var addresses: [String: NodeAddress] = [:]
    private var acceptPausedUntil: ContinuousClock.Instant?
    private var opened = 0
    private var reused = 0

    /// Binds the socket (mode 0600; a stale socket file is replaced, a live agent's is not).
    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        stopSignal = try CancellationSignal()
        reauthenticateSignal = try CancellationSignal()
        listener = try Socket.listen(unixPath: configuration.socketPath, mode: 0o600)
    }

    /// Makes `serve` return soon, from any thread (a signal handler's task).
    public func stop() { stopSignal.fire() }

    /// Makes every kept connection authenticate again (SIGHUP, after the secrets changed): idle
    /// ones are closed now and busy ones when their exchange ends, so each node's next exchange
    /// opens a connection and proves the secret its command hands over. From any thread.
    public func reauthenticate() { reauthenticateSignal.fire() }

    /// Serves until `stop`; then closes every connection and removes the socket file. Throws when
    /// it cannot wait any more (poll fails), after the same clean-up.
    public func serve() throws {
        enum Owner {
            case stop, reauthenticate, listener
            case client(Client)
            case busy(NodePeer)
            case idle(NodePeer)
        }
        let loop = PollLoop<Owner>()
        defer { shutdown() }
        while true {
            loop.watch(stopSignal.descriptor, for: .readable, owner: .stop)
            loop.watch(reauthenticateSignal.descriptor, for: .readable, owner: .reauthenticate)
            if let until = acceptPausedUntil, loop.now < until {
                loop.wake(at: until)
            } else {
                acceptPausedUntil = nil
                loop.watch(listener.descriptor, for: .readable, owner: .listener)
            }
            for client in clients {
                // A client that ended its input is read no more (its end of stream would wake every
                // poll); a full close still shows as POLLHUP.
                let reading: PollEvents = client.ending ? [] : .readable
                loop.watch(client.socket.descriptor, for: client.blocked ? reading.union(.writable) : reading, owner: .client(client))
            }
            for (peer, _) in busy { peer.watch(in: loop, as: .busy(peer)) }
            for entries in idle.values {
                for entry in entries {
                    loop.wake(at: entry.since + configuration.keep)
                    if let descriptor = entry.peer.descriptor { loop.watch(descriptor, for: .readable, owner: .idle(entry.peer)) }
                }
            }
            var stopping = false
            try loop.wait { owner, events in
                switch owner {
                case .stop: stopping = true
                case .reauthenticate: if reauthenticateSignal.consume() { forgetKeptConnections() }
                case .listener: acceptClients(now: loop.now)
                case .client(let client): serviceClient(client, events, loop: loop)
                case .busy(let peer): peer.handle(events, in: loop)
                case .idle(let peer):
                    // The node closed it (or sent what nobody asked for). Unless a request read
                    // above took it meanwhile (`takeIdle` peeked it clean): then it is busy.
                    if peer.result != nil { peer.close() }
                }
            }
            if stopping { return }
            let now = loop.now
            for (peer, _) in busy where peer.result == nil { peer.checkTimers(now: now) }
            finishJobs(now: now)
            for key in Array(idle.keys) {
                let kept = idle[key]!.filter { entry in
                    if entry.peer.isOpen, now < entry.since + configuration.keep { return true }
                    entry.peer.close()
                    return false
                }
                idle[key] = kept.isEmpty ? nil : kept
            }
            clients.removeAll { client in
                if !client.closed, client.ending, client.pending == 0, client.outbox.isEmpty { close(client) }
                return client.closed
            }
        }
    }

    // MARK: clients

    private func acceptClients(now: ContinuousClock.Instant) {
        while true {
            let socket: Socket?
            do { socket = try listener.accept(nonBlocking: true) } catch {
                // Out of descriptors, most likely: the listener stays readable, so stop looking at
                // it for a moment instead of spinning (the clients already in are still served).
                acceptPausedUntil = now + .milliseconds(100)
                return
            }
            guard let socket else { return }
            // The socket is 0600 already; the credentials check also covers a file made reachable
            // some other way (a bind mount, a changed mode).
            guard let peer = try? socket.peerCredentials(), peer.userID == Processes.currentUserID else {
                let refusal = RPCFrame.encode(RPCResponse.failure(id: .null, error: RPCError(.unauthorized,
                    "this berth agent serves only its own user (uid \(Processes.currentUserID))")))
                _ = try? socket.send(refusal)
                socket.close()
                continue
            }
            clients.append(Client(socket))
        }
    }

    private func serviceClient<Owner>(_ client: Client, _ events: PollEvents, loop: PollLoop<Owner>) {
        if events.contains(.writable) { flush(client) }
        guard !client.closed, !client.ending, !events.isDisjoint(with: .input) else {
            if !events.isDisjoint(with: [.error, .hangUp]), client.ending { close(client) }
            return
        }
        while !client.closed && !client.ending {
            let chunk: UnsafeBufferPointer<UInt8>
            do {
                switch try loop.read(client.socket.descriptor) {
                case .bytes(let bytes): chunk = bytes
                case .wouldBlock: return
                case .end:
                    client.ending = true
                    return
                }
            } catch {
                close(client)
                return
            }
            do {
                try client.framer.feed(chunk) { line in handle(line, from: client, now: loop.now) }
            } catch {
                let refusal = RPCError(.lineTooLong, "a line longer than \(AgentProtocol.lineLimit) bytes; closing the connection")
                send(RPCFrame.encode(RPCResponse.failure(id: .null, error: refusal)), to: client)
                client.ending = true
                return
            }
        }
    }

    private func handle(_ line: UnsafeBufferPointer<UInt8>, from client: Client, now: ContinuousClock.Instant) {
        switch RPCFrame.decode(line) {
        case .ignore:
            return
        case .reply(let response):
            send(RPCFrame.encode(response), to: client)
        case .batch:
            send(RPCFrame.encode(RPCResponse.failure(id: .null, error: .invalidRequest("berth agent takes one request per line, not batches"))), to: client)
        case .request(let request):
            guard let id = request.id else { return }  // a notification asks for nothing
            switch request.method {
            case AgentProtocol.info:
                send(RPCFrame.encode(RPCResponse.success(id: id, result: info())), to: client)
            case AgentProtocol.exchange:
                do {
                    let exchange = try AgentProtocol.exchange(from: request.params, known: &addresses)
                    client.pending += 1
                    start(Job(client: client, id: id, exchange: exchange), now: now)
                } catch {
                    send(RPCFrame.encode(RPCResponse.failure(id: id, error: error)), to: client)
                }
            default:
                let known = [AgentProtocol.exchange, AgentProtocol.info].joined(separator: ", ")
                send(RPCFrame.encode(RPCResponse.failure(id: id, error: RPCError(.methodNotFound,
                    "berth agent has no method \(String(reflecting: request.method)) (it has \(known))"))), to: client)
            }
        }
    }

    private func info() -> JSONValue {
        let idleCount = idle.values.reduce(0) { $0 + $1.count }
        let (seconds, _) = configuration.keep.components
        return .object([
            "version": .int(Int64(AgentProtocol.version)),
            "pid": .int(Int64(Processes.currentID)),
            "socket": .string(configuration.socketPath),
            "keepSeconds": .int(seconds),
            "connections": .object([
                "opened": .int(Int64(opened)), "reused": .int(Int64(reused)),
                "idle": .int(Int64(idleCount)), "busy": .int(Int64(busy.count)),
            ]),
        ])
    }

    /// A client's answers go out together once none of its exchanges is pending (or the outbox
    /// grew large): `berth` sends all its nodes' exchanges at once and waits for every answer
    /// anyway, and one burst costs it one wake-up instead of one per node (and the agent one send).
    /// Every exchange ends by its own timeouts, so nothing waits for ever.
    static let burstLimit = 256 << 10

    private func send(_ bytes: [UInt8], to client: Client) {
        guard !client.closed else { return }
        client.outbox += bytes
        if client.pending == 0 || client.outbox.count >= Self.burstLimit { flush(client) }
    }

    private func flush(_ client: Client) {
        while !client.closed, !client.outbox.isEmpty {
            let sent: Int?
            do { sent = try client.socket.send(client.outbox) } catch {
                close(client)
                return
            }
            guard let sent else {
                client.blocked = true
                return
            }
            client.outbox.removeFirst(sent)
        }
        client.blocked = false
    }

    private func close(_ client: Client) {
        guard !client.closed else { return }
        client.closed = true
        client.outbox = []
        client.socket.close()
    }

    // MARK: node connections

    private func start(_ job: Job, now: ContinuousClock.Instant) {
        if let peer = takeIdle(job.exchange.key) {
            reused += 1
            busy.append((peer, job))
            peer.reuse(calls: job.exchange.node.calls, options: job.exchange.node.options, now: now)
        } else {
            startFresh(job, now: now)
        }
    }

    private func startFresh(_ job: Job, now: ContinuousClock.Instant) {
        let peer = NodePeer(job.exchange.node, keepsOpen: true)
        opened += 1
        busy.append((peer, job))
        peer.connect(now: now)
    }

    /// The most recently used idle connection of `key` that is still open: one the node closed
    /// since the last poll reads as end of stream here and is dropped.
    private func takeIdle(_ key: AgentProtocol.PoolKey) -> NodePeer? {
        while var entries = idle[key], let entry = entries.popLast() {
            idle[key] = entries.isEmpty ? nil : entries
            if let socket = entry.peer.socket, socket.hasNothingToRead() { return entry.peer }
            entry.peer.close()
        }
        return nil
    }

    private func forgetKeptConnections() {
        for entries in idle.values { for entry in entries { entry.peer.close() } }
        idle = [:]
        retiring = Set(busy.map { ObjectIdentifier($0.peer) })
    }

    /// Answers every job whose conversation ended, and keeps its connection when it is still good.
    private func finishJobs(now: ContinuousClock.Instant) {
        var k = 0
        while k < busy.count {
            let (peer, job) = busy[k]
            guard let result = peer.result else {
                k += 1
                continue
            }
            busy.remove(at: k)
            let retired = retiring.remove(ObjectIdentifier(peer)) != nil
            switch result {
            case .success(let answers):
                answer(job, AgentProtocol.answerLine(id: job.id, answers: answers))
                if retired { peer.close() }
                if peer.isOpen {
                    var entries = idle[job.exchange.key] ?? []
                    entries.append(Idle(peer: peer, since: now))
                    if entries.count > Self.idlePerNode { entries.removeFirst().peer.close() }
                    idle[job.exchange.key] = entries
                }
            case .failure(let error):
                peer.close()
                if peer.reused, !peer.heardFromNode, job.readOnly, !job.retried,
                   let error = error as? ClientError, error.code == .closed {
                    // The node dropped a kept connection (restarted, or its idle timeout) before
                    // this exchange got any answer: the calls only read, so ask again afresh.
                    job.retried = true
                    startFresh(job, now: now)
                    continue
                }
                answer(job, AgentProtocol.failureLine(id: job.id, error))
            }
        }
    }

    private func answer(_ job: Job, _ line: [UInt8]) {
        job.client.pending -= 1
        send(line, to: job.client)
    }

    private func shutdown() {
        for client in clients { close(client) }
        clients = []
        for (peer, _) in busy { peer.close() }
        busy = []
        for entries in idle.values { for entry in entries { entry.peer.close() } }
        idle = [:]
        listener.close()
        try? FileSystem.remove(configuration.socketPath)
    }

    /// `$XDG_RUNTIME_DIR/berth/agent.sock`, else `/tmp/berth-agent-UID/agent.sock`.
    public static func defaultSocketPath(environment: [String: String]) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { return runtime + "/berth/agent.sock" }
        return "/tmp/berth-agent-\(Processes.currentUserID)/agent.sock"
    }
}
