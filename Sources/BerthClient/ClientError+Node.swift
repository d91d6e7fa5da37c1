import BerthProtocol

/// The failures both ways of talking to a node report (`NodeClient` with `NodeConnector`, and the
/// fan-out's `Exchanger` with `Conversation`), worded once so a user cannot tell which path ran.
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
        ClientError(.unreachable, "cannot reach \(address): no connection within \(NodeClient.describe(timeout))")
    }

    /// The fan-out's deadline for the whole node passed.
    static func noAnswer(_ address: NodeAddress, within timeout: Duration) -> ClientError {
        ClientError(.timedOut, "\(address): no answer within \(NodeClient.describe(timeout))")
    }

    /// One call's timeout passed.
    static func noAnswer(_ address: NodeAddress, to method: String, within timeout: Duration) -> ClientError {
        ClientError(.timedOut, "\(address): no answer to \(method) within \(NodeClient.describe(timeout))")
    }

    static func closedByNode(_ address: NodeAddress) -> ClientError {
        ClientError(.closed, "\(address) closed the connection")
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
}
