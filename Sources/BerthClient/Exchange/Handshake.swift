import BerthProtocol

/// The rules of a connection's opening, shared by `NodeClient` and `Conversation` so the two ways of
/// talking to a node open it the same way (docs/protocol.md, "Connecting").
package enum Handshake {
    /// Whether the connection opens with `node.hello`: when asked, on TCP, over ssh (hello is how
    /// we learn the session works at all), and whenever a secret was given.
    static func opensWithHello(_ address: NodeAddress, _ options: ConnectOptions) -> Bool {
        switch address {
        case .tcp, .ssh: return true
        case .unix: return options.hello || options.secret != nil
        }
    }

    /// Whether to authenticate after `hello`: when the node requires it, and on TCP whenever we hold
    /// a secret (so a node that does not ask is still made to prove it holds the secret).
    static func authenticates(_ address: NodeAddress, _ options: ConnectOptions, hello: HelloResult) throws(ClientError) -> Bool {
        var isTCP = false
        if case .tcp = address { isTCP = true }
        guard hello.authRequired || (isTCP && options.secret != nil) else { return false }
        guard options.secret != nil else { throw missingSecret(address) }
        return true
    }

    /// Whether `authenticates` is sure to say yes whatever hello answers, so the challenge can be sent
    /// right behind hello instead of one round trip later.
    static func alwaysAuthenticates(_ address: NodeAddress, _ options: ConnectOptions) -> Bool {
        if case .tcp = address, options.secret != nil { return true }
        return false
    }

    /// Whether a call may be sent before the node has proved it holds the secret: read-only calls
    /// whose params name at most a container. A node that fails its proof sees the request but
    /// its answer is thrown away; nothing a request carries that matters (environment values,
    /// images, links) is ever sent that early.
    package static func mayPrecedeProof(_ method: String) -> Bool {
        let harmless: [MethodName] = [.nodePing, .nodeInfo, .containerList, .containerStatus, .containerPorts, .containerEnvGet]
        return harmless.contains { $0.rawValue == method }
    }

    /// Whether the connection opens the secure channel with its authentication: on every TCP
    /// connection unless `--tcp-plain` (tests only) says not to.
    static func usesChannel(_ address: NodeAddress, _ options: ConnectOptions) -> Bool {
        if case .tcp = address { return !options.tcpPlain }
        return false
    }

    static func noChannel(_ address: NodeAddress, _ error: RPCError) -> ClientError {
        ClientError(.authenticationFailed, "\(address): \(error.message); refusing to talk to it in clear (pass --tcp-plain to allow that, for tests only)")
    }

    static func helloParams(_ options: ConnectOptions) -> JSONValue {
        // A plain struct of strings and ints: encoding it cannot fail.
        (try? JSONValueEncoder().encode(HelloParams(client: options.clientName))) ?? .object([:])
    }

    /// A fresh client nonce for `auth.response`.
    static func clientNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return generator.bytes(AuthProof.nonceByteCount)
    }

    static func missingSecret(_ address: NodeAddress) -> ClientError {
        ClientError(.authenticationFailed, "\(address) requires authentication: pass --secret-file with the node's shared secret")
    }

    static func refused(_ address: NodeAddress, _ error: RPCError) -> ClientError {
        ClientError(.authenticationFailed, "\(address) refused authentication: \(error.kind): \(error.message)")
    }

    static func unproven(_ address: NodeAddress) -> ClientError {
        ClientError(.authenticationFailed, "\(address) could not prove it holds the shared secret; refusing to talk to it")
    }
}
