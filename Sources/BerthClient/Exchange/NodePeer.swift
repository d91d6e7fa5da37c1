import BerthProtocol
import BerthSystem

/// One node's connection, driven by a `PollLoop`: `Exchanger.run` (one conversation, then closed) or
/// `AgentServer` (kept open after a conversation that succeeded, for the next one). It moves the
/// bytes of its `Conversation`, which does the protocol.
package final class NodePeer {
    enum State {
        /// Not connected yet: the next candidate address is `candidate`.
        case idle
        /// A non-blocking connect in progress, given up at `deadline`.
        case connecting(deadline: ContinuousClock.Instant)
        /// A Unix listener's backlog was full: try again at `retry`, up to `deadline`.
        case retrying(retry: ContinuousClock.Instant, deadline: ContinuousClock.Instant)
        case talking
    }

    let address: NodeAddress
    let candidates: [SocketAddress]
    let connectTimeout: Duration
    var candidate = 0
    var lastConnectError: ClientError?
    package var socket: Socket?
    var state = State.idle
    var conversation: Conversation
    /// Lines, then (once the conversation opened the channel) records: kept across the
    /// conversations of a kept connection, as the channel's counters are.
    var reader = ChannelReader(limit: 64 << 20)
    var outbox: [UInt8] = []
    /// The writing side is shut (everything was sent).
    var halfClosed = false
    package var result: Result<[CallAnswer], any Error>?
    /// Kept open after a conversation that succeeded (the agent's pool), and never half-closed.
    let keepsOpen: Bool
    /// The current conversation runs on a connection an earlier one opened.
    package private(set) var reused = false
    /// Some bytes of the node arrived in the current conversation.
    package private(set) var heardFromNode = false

    package init(_ node: Exchanger.Node, keepsOpen: Bool = false) {
        address = node.address
        candidates = node.candidates
        connectTimeout = node.options.connectTimeout
        self.keepsOpen = keepsOpen
        conversation = Conversation(address: node.address, options: node.options, calls: node.calls)
    }

    /// Whether the connection is open (idle between conversations when `keepsOpen`).
    package var isOpen: Bool { socket != nil }

    /// The descriptor polled for this peer, when open.
    package var descriptor: FileDescriptor? { socket?.descriptor }

    /// Starts another conversation on this open, authenticated connection (no opening: the node
    /// keeps a connection's authentication).
    package func reuse(calls: [PlannedCall], options: ConnectOptions, now: ContinuousClock.Instant) {
        precondition(keepsOpen && socket != nil, "only an open kept connection is reused")
        conversation = Conversation(address: address, options: options, calls: calls, opened: true, sealer: conversation.sealer)
        result = nil
        reused = true
        heardFromNode = false
        state = .talking
        apply(conversation.start(now: now))
    }

    // MARK: connecting

    /// Starts connecting to the next candidate address, or fails with the last candidate's error.
    package func connect(now: ContinuousClock.Instant) {
        guard candidate < candidates.count else {
            finish(.failure(lastConnectError ?? ClientError.noAddresses(address)))
            return
        }
        let target = candidates[candidate]
        do {
            socket = try Socket.stream(family: target.family, nonBlocking: true)
        } catch {
            connectFailed(.unreachable(address, error), now: now)
            return
        }
        attempt(now: now, deadline: now + connectTimeout)
    }

    private func attempt(now: ContinuousClock.Instant, deadline: ContinuousClock.Instant) {
        guard let socket else { return }
        do {
            switch try socket.startConnect(to: candidates[candidate]) {
            case .connected: connected(now: now)
            case .inProgress: state = .connecting(deadline: deadline)
            case .retryLater: state = .retrying(retry: now + .milliseconds(1), deadline: deadline)
            }
        } catch {
            connectFailed(.unreachable(address, error), now: now)
        }
    }

    /// This candidate failed: remember why and try the next one.
    private func connectFailed(_ error: ClientError, now: ContinuousClock.Instant) {
        socket?.close()
        socket = nil
        state = .idle
        lastConnectError = error
        candidate += 1
        connect(now: now)
    }

    private func connected(now: ContinuousClock.Instant) {
        state = .talking
        apply(conversation.start(now: now))
    }

    // MARK: the loop's questions

    /// What to poll for; nil when the socket needs no poll now (retrying after a timer).
    func pollEvents() -> PollEvents? {
        guard socket != nil else { return nil }
        switch state {
        case .idle, .retrying: return nil
        case .connecting: return .writable
        case .talking: return outbox.isEmpty ? .readable : [.readable, .writable]
        }
    }

    /// Adds this peer's socket and next deadline to the loop's turn.
    package func watch<Owner>(in loop: PollLoop<Owner>, as owner: Owner) {
        loop.wake(at: nextDeadline())
        if let events = pollEvents(), let socket { loop.watch(socket.descriptor, for: events, owner: owner) }
    }

    func watch(in loop: PollLoop<NodePeer>) { watch(in: loop, as: self) }

    /// The earliest moment something must happen without the socket becoming ready.
    func nextDeadline() -> ContinuousClock.Instant? {
        switch state {
        case .idle: return nil
        case .connecting(let deadline): return deadline
        case .retrying(let retry, _): return retry
        case .talking: return conversation.deadline()
        }
    }

    package func checkTimers(now: ContinuousClock.Instant) {
        switch state {
        case .idle:
            break
        case .connecting(let deadline):
            if now >= deadline { connectTimedOut(now: now) }
        case .retrying(let retry, let deadline):
            if now >= deadline {
                connectTimedOut(now: now)
            } else if now >= retry {
                attempt(now: now, deadline: deadline)
            }
        case .talking:
            if let late = conversation.deadline(), now >= late { apply(conversation.fail(conversation.lateError())) }
        }
    }

    private func connectTimedOut(now: ContinuousClock.Instant) {
        connectFailed(.noConnection(address, within: connectTimeout), now: now)
    }

    // MARK: I/O

    package func handle<Owner>(_ events: PollEvents, in loop: PollLoop<Owner>) {
        guard let socket, result == nil else { return }
        let now = loop.now
        switch state {
        case .connecting:
            let error: CInt
            do { error = try socket.pendingError() } catch {
                connectFailed(.unreachable(address, error), now: now)
                return
            }
            if error == 0 {
                connected(now: now)
            } else {
                let failure = SystemError("connect", path: candidates[candidate].description, errno: Errno(rawValue: error))
                connectFailed(.unreachable(address, failure), now: now)
            }
        case .talking:
            if events.contains(.writable) { flush() }
            if result == nil, !events.isDisjoint(with: .input) { read(socket, from: loop, now: now) }
        case .idle, .retrying:
            break
        }
    }

    /// Reads what the node sent until the socket is drained, the node closed it, or the conversation ended.
    private func read<Owner>(_ socket: Socket, from loop: PollLoop<Owner>, now: ContinuousClock.Instant) {
        while result == nil {
            let chunk: UnsafeBufferPointer<UInt8>
            do {
                switch try loop.read(socket.descriptor) {
                case .bytes(let bytes): chunk = bytes
                case .wouldBlock: return
                case .end:
                    apply(conversation.fail(ClientError.closedByNode(address)))
                    return
                }
            } catch {
                apply(conversation.fail(ClientError.connectionFailed(address, error)))
                return
            }
            heardFromNode = true
            do {
                try reader.feed(chunk) { line in
                    if result == nil { apply(conversation.receive(line, now: now)) }
                    return conversation.takeOpener()
                }
            } catch {
                let message = switch error {
                case LineFramerError.lineTooLong(let limit): "\(address) sent a line longer than \(limit) bytes"
                case let broken as ChannelError: "\(address): \(broken)"  // "a channel record failed authentication ..."
                default: "\(address) sent \(error)"
                }
                apply(conversation.fail(ClientError(.protocolViolation, message)))
                return
            }
        }
    }

    private func apply(_ step: Conversation.Step) {
        switch step {
        case .send(let bytes):
            outbox += bytes
            flush()
        case .wait:
            flush()  // nothing new, but the opening may just have completed: see the half-close there
        case .finished(let outcome):
            finish(outcome)
        }
    }

    /// Sends as much of the outbox as the socket takes now; the rest waits for POLLOUT.
    private func flush() {
        guard let socket, result == nil else { return }
        while !outbox.isEmpty {
            let sent: Int?
            do { sent = try socket.send(outbox) } catch {
                apply(conversation.fail(ClientError.cannotSend(address, error)))
                return
            }
            guard let sent else { return }
            outbox.removeFirst(sent)
        }
        if !keepsOpen, !halfClosed, conversation.sentEverything {
            // Nothing more to say: the node sees the end of input with the last request and
            // answers it, instead of waking once more for our close.
            socket.shutdown(.write)
            halfClosed = true
        }
    }

    func finish(_ outcome: Result<[CallAnswer], any Error>) {
        guard result == nil else { return }
        result = outcome
        if keepsOpen, case .success = outcome, outbox.isEmpty { return }
        close()
    }

    package func close() {
        socket?.close()
        socket = nil
        outbox = []
    }
}
