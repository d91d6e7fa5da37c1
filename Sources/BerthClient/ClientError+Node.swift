import BerthProtocol

/// The failures every way of talking to a node reports (`NodeClient` with `NodeConnector`, the
/// fan-out's `Exchanger` with `NodePeer`, `berth agent`), worded once so a user cannot tell which path ran.
extension ClientError {
    static func unreachable(_ address: NodeAddress, _ why: any Error) -> ClientError {
        ClientError(.unreachable, "cannot reach \(address): \(why)")
    }

    static func unresolvable(_ address: NodeAddress, host: String, _ why: any Error) -> ClientError {
        ClientError(.unreachable, "cannot reach \(address): cannot resolve \(host): \(why)")
    }

    /// Resolution gave no address to try.
    static func noAddresses(_ address: NodeAddress) -> ClientError {
        let host = if case .tcp(let host, _) = address { host } else { "it" }
        return ClientError(.unreachable, "cannot reach \(address): \(host) has no addresses")
    }

    static func noConnection(_ address: NodeAddress, within timeout: Duration) -> ClientError {
        ClientError(.unreachable, "cannot reach \(address): no connection within \(Self.describe(timeout))")
    }

    /// The fan-out's deadline for the whole node passed.
    static func noAnswer(_ address: NodeAddress, within timeout: Duration) -> ClientError {
        ClientError(.timedOut, "\(address): no answer within \(Self.describe(timeout))")
    }

    /// One call's timeout passed.
    static func noAnswer(_ address: NodeAddress, to method: String, within timeout: Duration) -> ClientError {
        ClientError(.timedOut, "\(address): no answer to \(method) within \(Self.describe(timeout))")
    }

    /// ssh's own failures (no route, refused key) end the stream before the node answers anything.
    static func sshEnded(_ address: NodeAddress) -> ClientError {
        ClientError(.unreachable, "cannot reach \(address): the ssh session ended before the node answered (ssh's own message is above)")
    }

    static func closedByNode(_ address: NodeAddress) -> ClientError {
        ClientError(.closed, "\(address) closed the connection")
    }

    /// Our side closed the connection (the caller is done, or was cancelled).
    static func closedByUs(_ address: NodeAddress) -> ClientError {
        ClientError(.closed, "the connection to \(address) was closed")
    }

    static func connectionFailed(_ address: NodeAddress, _ why: any Error) -> ClientError {
        ClientError(.closed, "the connection to \(address) failed: \(why)")
    }

    static func cannotSend(_ address: NodeAddress, _ why: any Error) -> ClientError {
        ClientError(.closed, "cannot send to \(address): \(why)")
    }

    static func invalidLine(_ address: NodeAddress, _ error: RPCError) -> ClientError {
        ClientError(.protocolViolation, "\(address) sent an invalid line: \(error.message)")
    }

    /// An error the node could not tie to a request (line_too_long, parse_error): it dooms the connection.
    static func untied(_ address: NodeAddress, _ error: RPCError) -> ClientError {
        ClientError(.protocolViolation, "\(address) answered \(error.kind): \(error.message)")
    }

    /// `5s`, or `250ms` when not whole seconds.
    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
