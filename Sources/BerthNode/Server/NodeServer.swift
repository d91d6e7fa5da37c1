import BerthProtocol
import BerthSystem

/// berthd's network service: listens on Unix and TCP sockets (its own or inherited through socket
/// activation), authorizes each connection, and serves the method table until `stop()` or
/// SIGTERM/SIGINT, then drains and returns.
///
/// Structure: one discarding task group for the server, one child task per listener (each with its own
/// discarding group of one task per connection), plus an idle reaper and the stop watcher.
public final class NodeServer: Sendable {
    public let configuration: NodeConfiguration
    public let description: NodeDescription
    let logger: Logger
    let methods: MethodTable
    /// The TCP secrets; SIGHUP reloads them from `configuration.secretFile`.
    let secrets: SecretStore?
    let policy: PeerPolicy
    /// How long shutdown waits for requests in flight before closing their connections.
    let gracePeriod: Duration
    private let stopSignal: AsyncStream<String>
    private let stopContinuation: AsyncStream<String>.Continuation

    /// Checks the server's settings (the configuration's own rules, the secret file, the group)
    /// without starting anything: berthd calls it first, so a bad setting is a usage error before a
    /// service manager is started or anything is written.
    public static func checkSettings(_ configuration: NodeConfiguration) throws {
        try configuration.validate()
        if let path = configuration.secretFile { _ = try SecretFile.load(path) }
        if let group = configuration.group { _ = try PeerPolicy.resolveGroup(group) }
        _ = try PeerPolicy.resolveRoles(configuration.unixRoles)
    }

    /// `methods` holds what other parts of the node serve; the basic node.* methods and rpc.discover
    /// are added here. Reads the secret file and resolves the group now, so a bad setting fails at
    /// start-up with a clear error.
    public init(configuration: NodeConfiguration, methods: MethodTable, info: NodeDescription,
                logger: Logger? = nil, gracePeriod: Duration = .seconds(10)) throws {
        try configuration.validate()
        self.configuration = configuration
        var info = info
        // The node speaks the secure channel on every TCP connection unless told not to.
        if !configuration.tcpPlain && !info.capabilities.contains(Capability.secureChannel) {
            info.capabilities.append(Capability.secureChannel)
        }
        self.description = info
        self.logger = logger ?? Logger.fromEnvironment(minimumLevel: configuration.logLevel)
        var table = MethodTable()
        BasicMethods(description: info).register(into: &table)
        table.merge(methods)
        self.methods = table
        self.secrets = try configuration.secretFile.map { (path) throws(ConfigurationError) in SecretStore(try SecretFile.load(path)) }
        self.policy = PeerPolicy(ownUID: Processes.currentUserID, groupID: try configuration.group.map { (g) throws(ConfigurationError) in try PeerPolicy.resolveGroup(g) },
                                 groupRoles: try PeerPolicy.resolveRoles(configuration.unixRoles))
        self.gracePeriod = gracePeriod
        (stopSignal, stopContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks a running server to shut down (as SIGTERM does).
    public func stop(reason: String = "stop requested") { stopContinuation.yield(reason) }

    private struct Bound: Sendable {
        let listener: Listener
        let transport: RequestContext.Transport
        let name: String
        /// A socket file this process created and removes on exit.
        let ownedPath: String?
    }

    /// Serves until stopped; returns after every connection is closed. With `handlingSignals`,
    /// SIGTERM and SIGINT stop it (call `Signals.trap` early in main so none is lost).
    public func run(handlingSignals: Bool = true, inherited: [ActivatedDescriptor]? = nil) async throws {
        let bound = try openListeners(inherited: inherited ?? SocketActivation.takeDescriptors())
        defer {
            for b in bound {
                b.listener.close()
                if let path = b.ownedPath { try? FileSystem.remove(path) }
            }
        }
        let notifier = try? SystemdNotifier.fromEnvironment()
        let registry = ConnectionRegistry(limits: .init(
            connections: configuration.maxConnections, tcp: configuration.effectiveMaxTCPConnections,
            unauthenticated: configuration.maxUnauthenticated, perAddress: configuration.maxConnectionsPerAddress))
        let shared = ServerShared(methods: methods, registry: registry, logger: logger, maxLineBytes: configuration.maxLineBytes,
                                  maxInFlightPerConnection: 64, secrets: secrets, channel: !configuration.tcpPlain,
                                  audit: Audit(logger: logger), loop: EventLoop.shared)
        let signals = handlingSignals ? try Signals.stream([.terminate, .interrupt, .hangup]) : nil
        for b in bound { logger.info("listening", ["address": b.name, "transport": b.transport.rawValue]) }
        try? notifier?.ready(status: "listening on " + bound.map(\.name).joined(separator: ", "))

        await withDiscardingTaskGroup { group in
            // Accepting and serving connections runs on the event loop's thread (it is a task
            // executor): a socket's wake-up resumes its session right there instead of crossing to
            // the pool. Method handlers go to the pool unless they only read memory while the node
            // is otherwise idle (ConnectionSession), so a slow one never holds up the loop.
            // docs/architecture-system.md, "The loop as an executor".
            for b in bound {
                group.addTask(executorPreference: shared.loop) { await self.acceptLoop(b, shared: shared) }
            }
            let idle = Duration.seconds(configuration.idleTimeoutSeconds)
            let authDeadline = Duration.seconds(configuration.authTimeoutSeconds)
            let tick = Duration.milliseconds(min(1000, min(configuration.idleTimeoutSeconds, configuration.authTimeoutSeconds) * 250))
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    let closed = registry.closeIdle(olderThan: idle)
                    if closed > 0 { self.logger.debug("idle_closed", ["connections": closed]) }
                    await self.closeUnauthenticated(registry, after: authDeadline)
                }
            }
            if let signals {
                group.addTask {
                    for await signal in signals {
                        if signal == .hangup {
                            self.reloadSecrets()
                            continue
                        }
                        self.stop(reason: "signal \(signal)")
                        return
                    }
                }
            }
            var reasons = stopSignal.makeAsyncIterator()
            let reason = await reasons.next() ?? "stop stream ended"
            logger.notice("stopping", ["reason": reason, "inFlight": registry.inFlight, "connections": registry.count])
            try? notifier?.stopping()
            for b in bound { b.listener.close() }
            registry.beginDraining()
            let deadline = ContinuousClock.now + gracePeriod
            while registry.inFlight > 0 && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            if registry.inFlight > 0 { logger.warning("grace_period_over", ["inFlight": registry.inFlight]) }
            registry.closeAll()
            group.cancelAll()
        }
        logger.notice("stopped")
    }

    /// SIGHUP: reads the secret file again and, when it is valid, replaces the secrets new
    /// handshakes are checked against; connections follow on their next request (`ConnectionAccess`).
    /// A file that does not load changes nothing (the error is logged): a typo must not lock out
    /// every client.
    public func reloadSecrets() {
        guard let secrets, let path = configuration.secretFile else {
            logger.notice("secrets_reload_skipped", ["reason": "no --secret-file"])
            return
        }
        do {
            let keyring = try SecretFile.load(path)
            secrets.replace(with: keyring)
            logger.notice("secrets_reloaded", ["file": path, "names": keyring.names.joined(separator: ",")])
        } catch {
            logger.error("secrets_reload_failed", ["file": path, "error": error.message])
        }
    }

    /// Closes TCP connections that did not authenticate within `deadline` of their accept, each
    /// with a `timeout` error line (id null) if the kernel takes it at once. The deadline runs from
    /// accept: a peer trickling bytes keeps a connection from the idle timeout, not from this.
    private func closeUnauthenticated(_ registry: ConnectionRegistry, after deadline: Duration) async {
        let late = registry.expireUnauthenticated(after: deadline)
        guard !late.isEmpty else { return }
        let line = RPCFrame.encode(.failure(id: .null, error: RPCError(.timeout,
            "this connection did not authenticate within \(configuration.authTimeoutSeconds) s of connecting (auth.challenge, then auth.response); it is closed")))
        for writer in late { await writer.closeWithLastWord(line) }
        logger.notice("auth_deadline_closed", ["connections": late.count])
    }

    private func acceptLoop(_ bound: Bound, shared: ServerShared) async {
        await withDiscardingTaskGroup { group in
            do {
                for try await connection in bound.listener.connections {
                    group.addTask { await self.accepted(connection, on: bound, shared: shared) }
                }
            } catch {
                if let e = error as? SocketError, e.code == .closed { return }
                logger.error("accept_failed", ["address": bound.name, "error": "\(error)"])
            }
        }
    }

    private func accepted(_ connection: Connection, on bound: Bound, shared: ServerShared) async {
        var context = RequestContext(transport: bound.transport)
        let peer: ConnectionRegistry.Peer
        if bound.transport == .unix {
            let credentials = try? connection.peerCredentials()
            guard let credentials, let role = policy.role(of: credentials) else {
                let who = credentials.map { "uid \($0.userID) pid \($0.processID)" } ?? "unknown peer"
                logger.warning("peer_refused", ["address": bound.name, "peer": who])
                try? await connection.write(RPCFrame.encode(.failure(id: .null, error: .unauthorized(
                    "\(who) may not use this socket: only \(policy.allowedDescription) may"))))
                connection.close()
                return
            }
            context.peer = credentials
            context.principal = Principal(role: role, peer: credentials)
            peer = .unix
        } else {
            let remote = try? connection.remoteAddress()
            context.remoteAddress = remote?.description
            // The role is the secret's, once the connection proves one (`ConnectionAccess`).
            context.principal = Principal(role: .read, address: remote?.description)
            // Authenticated already only when the node has no secret to ask for (NodeServer
            // refuses a TCP listener without one; this keeps the budgets honest regardless).
            peer = .tcp(address: remote?.host ?? "unknown", authenticated: secrets == nil)
        }
        let writer = ResponseWriter(connection)
        let id: Int
        switch shared.registry.add(writer, peer: peer) {
        case .success(let added):
            id = added
        case .failure(let refusal):
            if logger.logs(.debug) {
                logger.debug("connection_refused", ["address": bound.name, "peer": context.remoteAddress ?? "unix", "budget": refusal.budget])
            }
            // Without waiting: a flood of refused peers that never read must not hold a task each.
            _ = try? connection.writeWithoutWaiting(RPCFrame.encode(.failure(id: .null, error: RPCError(.busy, refusal.message))))
            connection.close()
            return
        }
        defer { shared.registry.remove(id) }
        // Checked first: the fields are built (an array of boxed values) before `debug` can decline.
        let tracing = logger.logs(.debug)
        if tracing { logger.debug("connection_opened", ["connection": id, "address": bound.name]) }
        await ConnectionSession(connection: connection, id: id, context: context, shared: shared, writer: writer).serve()
        if tracing { logger.debug("connection_closed", ["connection": id]) }
    }

    private func openListeners(inherited: [ActivatedDescriptor]) throws -> [Bound] {
        var bound: [Bound] = []
        do {
            for d in inherited {
                let listener = try Listener.inherited(d.descriptor)
                let address = try listener.localAddress()
                let transport: RequestContext.Transport
                let name: String
                if case .unix(let path) = address {
                    transport = .unix
                    name = "unix:\(path)"
                } else {
                    transport = .tcp
                    name = "tcp://\(address)"
                }
                if transport == .tcp && secrets == nil {
                    throw ConfigurationError("an inherited TCP socket (\(address)) needs --secret-file")
                }
                bound.append(Bound(listener: listener, transport: transport, name: name + " (inherited)", ownedPath: nil))
            }
            // Under socket activation the default listen address is the activated socket itself.
            let wanted = inherited.isEmpty ? configuration.effectiveListen : configuration.listen
            for address in wanted {
                switch address {
                case .unix(let path):
                    if bound.contains(where: { (try? $0.listener.localAddress()) == .unix(path: path) }) { continue }
                    let directory = FileSystem.directoryName(of: path)
                    if !FileSystem.exists(directory) { try FileSystem.createDirectory(directory, mode: 0o755) }
                    // With --unix-role the peers' groups are many and a file has one group: the
                    // socket is open to all, and the peer check at accept is the gate.
                    let listener = try Listener.unix(path: path, mode: policy.groupRoles.isEmpty ? 0o660 : 0o666, group: policy.groupID)
                    bound.append(Bound(listener: listener, transport: .unix, name: address.description, ownedPath: path))
                case .tcp(let socketAddress):
                    if bound.contains(where: { (try? $0.listener.localAddress()) == socketAddress }) { continue }
                    let listener = try Listener.listen(on: socketAddress)
                    let actual = (try? listener.localAddress()).map { "tcp://\($0)" } ?? address.description
                    bound.append(Bound(listener: listener, transport: .tcp, name: actual, ownedPath: nil))
                }
            }
        } catch {
            for b in bound {
                b.listener.close()
                if let path = b.ownedPath { try? FileSystem.remove(path) }
            }
            throw error
        }
        return bound
    }
}
