import BerthProtocol
import BerthSystem

/// Runs planned conversations with many nodes over non-blocking sockets and one `PollLoop`, on
/// the calling thread (give it a thread of its own: it blocks in `PollLoop`).
///
/// Why not `NodeClient` per node: each of its calls crosses from the event-loop thread to the
/// cooperative pool and between an actor, a reader task, a writer task and a continuation, which
/// on one machine cost about 0.25 ms of CPU per node and call (Scripts/bench/fanout). Here a
/// node costs its system calls: connect, one send and one receive per round trip, close.
///
/// Errors and timeouts read as `NodeClient`'s and `FanOut.run`'s, so a user cannot tell which path
/// talked to a node.
package enum Exchanger {
    /// One node to talk to: where (its addresses, tried in order, as `NodeConnector` does), how, and what to ask.
    package struct Node: Sendable {
        package var address: NodeAddress
        package var candidates: [SocketAddress]
        package var options: ConnectOptions
        package var calls: [PlannedCall]
    }

    /// Talks to every node until each has finished, failed, or `deadline` passed (reported as no
    /// answer within `timeout`). Results come in the order of `nodes`.
    static func run(_ nodes: [Node], until deadline: ContinuousClock.Instant, timeout: Duration) -> [Result<[CallAnswer], any Error>] {
        let peers = nodes.map { NodePeer($0) }
        defer { for peer in peers { peer.close() } }
        let loop = PollLoop<NodePeer>()
        for peer in peers { peer.connect(now: loop.now) }
        while true {
            loop.wake(at: deadline)
            var open = 0
            for peer in peers where peer.result == nil {
                open += 1
                peer.watch(in: loop)
            }
            if open == 0 { break }
            do {
                try loop.wait { peer, events in peer.handle(events, in: loop) }
            } catch {
                let failure = ClientError(.closed, "cannot wait for the nodes: \(error)")
                for peer in peers where peer.result == nil { peer.finish(.failure(failure)) }
                break
            }
            let now = loop.now
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
