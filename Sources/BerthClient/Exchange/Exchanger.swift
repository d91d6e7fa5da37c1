#if canImport(Glibc)
import Glibc
#endif
import BerthProtocol
import BerthSystem

/// Runs planned conversations with many nodes over non-blocking sockets and one poll(2) loop, on
/// the calling thread (give it a thread of its own: it blocks in poll).
///
/// Why not `NodeClient` per node: each of its calls crosses from the event-loop thread to the
/// cooperative pool and between an actor, a reader task, a writer task and a continuation, which
/// on one machine cost about 0.25 ms of CPU per node and call (Scripts/bench/fanout). Here a
/// node costs its system calls: connect, one send and one receive per round trip, close.
///
/// Errors and timeouts read as `NodeClient`'s and `FanOut.run`'s, so a user cannot tell which path
/// talked to a node.
enum Exchanger {
    /// One node to talk to: where (its addresses, tried in order, as `NodeConnector` does), how, and what to ask.
    struct Node: Sendable {
        var address: NodeAddress
        var candidates: [SocketAddress]
        var options: ConnectOptions
        var calls: [PlannedCall]
    }

    /// Talks to every node until each has finished, failed, or `deadline` passed (reported as no
    /// answer within `timeout`). Results come in the order of `nodes`.
    static func run(_ nodes: [Node], until deadline: ContinuousClock.Instant, timeout: Duration) -> [Result<[CallAnswer], any Error>] {
        let peers = nodes.map { NodePeer($0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer {
            buffer.deallocate()
            for peer in peers { peer.close() }
        }
        let clock = ContinuousClock()
        var now = clock.now
        for peer in peers { peer.connect(now: now) }
        var fds: [pollfd] = []
        var owners: [NodePeer] = []
        while true {
            fds.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            var wake = deadline
            var open = 0
            for peer in peers where peer.result == nil {
                open += 1
                if let at = peer.nextDeadline(), at < wake { wake = at }
                if let events = peer.pollEvents() {
                    fds.append(pollfd(fd: peer.socket!.descriptor.rawValue, events: events, revents: 0))
                    owners.append(peer)
                }
            }
            if open == 0 { break }
            let ready = poll(&fds, nfds_t(fds.count), Socket.milliseconds(until: wake, from: now))
            if ready < 0 && errno != EINTR {
                let error = ClientError(.closed, "cannot wait for the nodes: \(SystemError("poll"))")
                for peer in peers where peer.result == nil { peer.finish(.failure(error)) }
                break
            }
            now = clock.now
            if ready > 0 {
                for (k, fd) in fds.enumerated() where fd.revents != 0 {
                    owners[k].handle(revents: fd.revents, buffer: buffer, now: now)
                }
            }
            for peer in peers where peer.result == nil {
                if now >= deadline {
                    peer.finish(.failure(ClientError.noAnswer(peer.address, within: timeout)))
                } else {
                    peer.checkTimers(now: now)
                }
            }
        }
        return peers.map { $0.result! }
    }
}
