#if canImport(Glibc)
import Glibc
#endif
import BerthClient
import BerthProtocol
import BerthSystem

/// A tiny node for tests: a real Unix (or loopback TCP) socket, BerthProtocol framing, `node.hello`
/// and the auth exchange served with the real `AuthSession`, everything else by `handler`.
/// Requests run concurrently, so a slow handler lets later answers overtake earlier ones.
struct FakeNode {
    enum Listen { case unix, tcp }

    /// How the node behaves during authentication.
    enum AuthBehaviour: Sendable { case honest, forgedProof }

    typealias Handler = @Sendable (RPCRequest) async -> RPCResponse?
    /// True for a request the node reads and then drops the connection on, unanswered (a node
    /// that crashes or restarts in the middle).
    typealias Dropper = @Sendable (RPCRequest) -> Bool

    /// Starts a node, runs `body` with its address, then stops the node and removes its socket.
    @discardableResult
    static func with<R: Sendable>(listen: Listen = .unix, secret: AuthSecret? = nil, auth: AuthBehaviour = .honest,
                                  drops: Dropper? = nil, handler: @escaping Handler,
                                  _ body: (NodeAddress) async throws -> R) async throws -> R {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let listener: Listener
        let address: NodeAddress
        switch listen {
        case .unix:
            let path = directory.path + "/node.sock"
            listener = try Listener.unix(path: path, mode: 0o600)
            address = .unix(path: path)
        case .tcp:
            listener = try Listener.listen(on: .ipv4(IPv4Address(rawValue: 0x7F00_0001), port: 0))
            address = .tcp(host: "127.0.0.1", port: try listener.localAddress().port!)
        }
        return try await withThrowingTaskGroup(of: Void.self, returning: R.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { connections in
                    do {
                        for try await connection in listener.connections {
                            connections.addTask { await serve(connection, secret: secret, auth: auth, drops: drops, handler: handler) }
                        }
                    } catch {}
                    connections.cancelAll()
                }
            }
            defer {
                listener.close()
                group.cancelAll()
            }
            return try await body(address)
        }
    }

    static func serve(_ connection: Connection, secret: AuthSecret?, auth: AuthBehaviour, drops: Dropper? = nil,
                      handler: @escaping Handler) async {
        defer { connection.close() }
        let (replies, reply) = AsyncStream.makeStream(of: [UInt8].self)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await line in replies { try? await connection.write(line) }
            }
            var session = secret.map { AuthSession(requiring: $0) } ?? .preauthorized
            var framer = LineFramer()
            // Requests in flight finish (and are answered) after the client half-closes; only the
            // node shutting down (cancellation) cuts them short.
            await withDiscardingTaskGroup { handlers in
                reading: while let bytes = try? await connection.read(), !bytes.isEmpty, let lines = try? framer.feed(bytes) {
                    for line in lines {
                        guard case .request(let request) = RPCFrame.decode(line), let id = request.id else { continue }
                        if let immediate = authStep(request, id: id, session: &session, secret: secret, auth: auth) {
                            reply.yield(RPCFrame.encode(immediate))
                            if session.shouldClose { break reading }
                            continue
                        }
                        if let drops, drops(request) { break reading }
                        handlers.addTask {
                            let response = await handler(request)
                                ?? .failure(id: id, error: .methodNotFound(request.method))
                            reply.yield(RPCFrame.encode(RPCResponse(id: id, outcome: response.outcome)))
                        }
                    }
                }
            }
            reply.finish()
        }
    }

    /// Answers hello, auth and unauthorized calls; nil hands the request to the handler.
    static func authStep(_ request: RPCRequest, id: RPCID, session: inout AuthSession, secret: AuthSecret?,
                         auth: AuthBehaviour) -> RPCResponse? {
        do {
            switch request.method {
            case MethodName.nodeHello.rawValue:
                let params: HelloParams = try request.decodeParams()
                let version = try ProtocolVersion.negotiate(clientSpeaks: params.protocols)
                return .success(id: id, encoding: HelloResult(protocol: version, node: NodeIdentity(version: "0.0.0-fake", hostname: "fake"),
                                                              capabilities: [], authRequired: !session.isAuthenticated))
            case MethodName.authChallenge.rawValue:
                return .success(id: id, encoding: try session.challenge())
            case MethodName.authResponse.rawValue:
                var result = try session.respond(try request.decodeParams(AuthResponseParams.self))
                if auth == .forgedProof { result.proof = String(repeating: "ab", count: 32) }
                return .success(id: id, encoding: result)
            default:
                if let refusal = session.authorize(method: request.method) { return .failure(id: id, error: refusal) }
                return nil
            }
        } catch {
            return .failure(id: id, error: error)
        }
    }
}

/// A fresh directory under /tmp (short, so socket paths fit sun_path), removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/berth-cli-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw SystemError("mkdtemp")
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func remove() { try? FileSystem.removeTree(path) }
}

/// A handler for the usual methods: ping echoes, anything else unknown.
let pingHandler: FakeNode.Handler = { request in
    guard request.method == MethodName.nodePing.rawValue, let id = request.id else { return nil }
    do throws(RPCError) { return .success(id: id, result: try PingResult.respond(to: request.params)) } catch {
        return .failure(id: id, error: error)
    }
}

let testSecret = try! AuthSecret(bytes: Array("a-test-secret-of-32-bytes-length".utf8))
