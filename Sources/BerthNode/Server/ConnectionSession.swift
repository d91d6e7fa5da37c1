import BerthProtocol
import BerthSystem

/// What every connection of one server shares.
struct ServerShared: Sendable {
    let methods: MethodTable
    let registry: ConnectionRegistry
    let logger: Logger
    let maxLineBytes: Int
    /// Requests of one connection that may run at once; the reader waits for a slot beyond this.
    let maxInFlightPerConnection: Int
    /// The TCP secrets (nil: the node has none, so it has no TCP listener).
    let secrets: SecretStore?
    /// TCP connections must open the secure channel (not `--tcp-plain`).
    let channel: Bool
    /// The audit log: the node's log, written whatever its level (`Audit`).
    let audit: Audit
    /// The executor connections are served on (the event loop's thread).
    let loop: any TaskExecutor
}

/// One client connection: reads lines, answers what it can inline (auth.*, errors, the table's
/// immediate methods such as node.hello and node.ping), runs other requests as child tasks (up to a
/// limit), and writes responses as they complete.
struct ConnectionSession: Sendable {
    /// A request to run, with who asked (the connection's principal when it was read); a single
    /// one also says whether it is audited (its method's `MethodAccess.mutates`).
    enum Job: Sendable {
        case single(RPCRequest, MethodTable.Placement, Principal, audited: Bool)
        case batch([BatchSlot], Principal)
    }
    enum BatchSlot: Sendable {
        case done(RPCResponse?)
        case pending(RPCRequest)
    }
    enum Inline {
        case answered(RPCResponse?)
        case dispatch(MethodTable.Placement, MethodAccess)
    }

    let connection: Connection
    let id: Int
    let context: RequestContext
    let shared: ServerShared
    /// The connection's one writer (the registry holds it too, to close the connection with a last word).
    let writer: ResponseWriter

    func serve() async {
        let lifetime = ConnectionLifetime()
        let sink = NotificationSink(writer: writer, connection: connection, lifetime: lifetime, connectionID: id)
        var reader = ChannelReader(limit: shared.maxLineBytes)
        var access = if context.transport == .tcp, let secrets = shared.secrets {
            ConnectionAccess(requiring: secrets, principal: context.principal, channel: shared.channel)
        } else {
            ConnectionAccess(preauthorized: context.principal)
        }
        var channelOpen = false
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            while true {
                let bytes: [UInt8]
                do { bytes = try await connection.read() } catch { break }
                if bytes.isEmpty { break }
                guard shared.registry.touch(id) else { break }
                var out: [UInt8] = []
                var jobs: [Job] = []
                var closeAfter = false
                // Where in `out` the node's records start: right after the answer to the
                // auth.response that opened the channel (its line goes in clear, the client's
                // records follow that line in the input).
                var sealFrom: Int?
                do {
                    try reader.feed(bytes) { line in
                        guard !closeAfter else { return nil }
                        handle(RPCFrame.decode(line), out: &out, jobs: &jobs, access: &access, closeAfter: &closeAfter)
                        guard !channelOpen, let keys = access.channelKeys else { return nil }
                        channelOpen = true
                        sealFrom = out.count
                        return RecordOpener(key: keys.clientToNode)
                    }
                } catch let error as ChannelError {
                    // Tampered, replayed, reordered, dropped or injected input: nothing of it runs,
                    // and nothing is said (the peer is not the client we authenticated).
                    shared.logger.warning("channel_failed", ["connection": id, "peer": context.remoteAddress ?? "?", "error": "\(error)"])
                    closeAfter = true
                } catch {
                    RPCFrame.encode(.failure(id: .null, error: .lineTooLong(limit: reader.limit)), into: &out)
                    shared.logger.notice("line_too_long", ["connection": id, "limit": reader.limit])
                    closeAfter = true
                }
                if let sealFrom, let keys = access.channelKeys {
                    await writer.send(Array(out[..<sealFrom]))
                    await writer.startSealing(RecordSealer(key: keys.nodeToClient))
                    out.removeFirst(sealFrom)
                }
                if !out.isEmpty { await writer.send(out) }  // a hop to the writer's actor even when empty
                for job in jobs {
                    // A read placed on the connection, with no handler running on the node (this
                    // connection's included; a stream after its reply is not one): awaited right here,
                    // without a task of its own (its creation, the hop to it and the group's
                    // bookkeeping were ~20% of a fan-out's `container.list` at the node:
                    // Scripts/bench/fanout --compare). The connection reads its next line after the
                    // answer; such reads take microseconds. A stream after the reply gets a task.
                    // (`running` is no guide here: it counts children until the limit reaps them.)
                    if case .single(_, .connection, _, _) = job, shared.registry.handlersRunning == 0 {
                        shared.registry.requestStarted(id)
                        let channel = NotificationChannel(sink: sink)
                        let reply = await run(job, channel: channel)
                        if let body = await finish(reply, writer: writer, channel: channel) {
                            running += 1
                            group.addTask(executorPreference: shared.loop) { await stream(body, sink: sink) }
                        }
                        continue
                    }
                    if running >= shared.maxInFlightPerConnection {
                        await group.next()
                        running -= 1
                    }
                    running += 1
                    shared.registry.requestStarted(id)
                    // Handlers run on the pool, not on the loop thread the session runs on: they may
                    // be slow and must not hold up every socket. Reads answered from memory start on
                    // the loop, which saves waking a pool thread and the loop again: a third of a
                    // one-shot connection's CPU (docs/benchmarks.md). The loop is named, not
                    // inherited: a child task without an executor of its own is first queued on the
                    // pool, which wakes a pool thread only to hand it back (perf shows it). Batches run
                    // on the pool.
                    let onConnection = if case .single(_, .connection, _, _) = job { true } else { false }
                    group.addTask(executorPreference: onConnection ? shared.loop : globalConcurrentExecutor) {
                        let channel: NotificationChannel? = if case .single = job { NotificationChannel(sink: sink) } else { nil }
                        let reply: [UInt8]
                        if onConnection && shared.registry.handlersRunning > 1 {
                            // Other handlers are running: this read goes to the pool after all. On the
                            // loop it would enter the engine's actor there, and a default actor drains
                            // the jobs queued behind it on the thread that holds it, so another
                            // request's work on the engine (unit files, port releases) could run on
                            // the loop (measured: docs/architecture-server.md). Checked here, on the
                            // loop, right before the handler: no request can start until this task
                            // suspends.
                            reply = await withTaskExecutorPreference(globalConcurrentExecutor) { await run(job, channel: channel) }
                        } else {
                            reply = await run(job, channel: channel)
                        }
                        // A stream (events.subscribe) goes on after its reply, in this same task.
                        if let body = await finish(reply, writer: writer, channel: channel) { await stream(body, sink: sink) }
                    }
                }
                if closeAfter { break }
            }
            // No more input: streams end now (nobody asks for them any more), requests finish.
            lifetime.end()
        }
        connection.close()
    }

    /// A handler has returned `reply`: it goes out and the request is done. Returns what the handler
    /// asked to stream after its reply, if anything.
    private func finish(_ reply: [UInt8], writer: ResponseWriter,
                        channel: NotificationChannel?) async -> (@Sendable (NotificationSink) async -> Void)? {
        shared.registry.handlerFinished()
        await writer.send(reply)
        shared.registry.requestFinished(id)
        return channel?.takeFollowUp()
    }

    /// A stream after its reply, counted while it runs (it keeps an idle connection open).
    private func stream(_ body: @Sendable (NotificationSink) async -> Void, sink: NotificationSink) async {
        shared.registry.streamStarted(id)
        await body(sink)
        shared.registry.streamFinished(id)
    }

    private func handle(_ decoded: RPCDecoded, out: inout [UInt8], jobs: inout [Job],
                        access: inout ConnectionAccess, closeAfter: inout Bool) {
        switch decoded {
        case .ignore:
            break
        case .reply(let response):
            RPCFrame.encode(response, into: &out)
        case .request(let request):
            switch inline(request, access: &access, closeAfter: &closeAfter) {
            case .answered(let response?): RPCFrame.encode(response, into: &out)
            case .answered(nil): break
            case .dispatch(let placement, let needs): jobs.append(.single(request, placement, access.principal, audited: needs.mutates))
            }
        case .batch(let members):
            var slots: [BatchSlot] = []
            slots.reserveCapacity(members.count)
            var anyPending = false
            for member in members {
                switch member {
                case .invalid(let response): slots.append(.done(response))
                case .request(let request):
                    switch inline(request, access: &access, closeAfter: &closeAfter) {
                    case .answered(let response): slots.append(.done(response))
                    case .dispatch: slots.append(.pending(request)); anyPending = true
                    }
                }
            }
            if anyPending {
                jobs.append(.batch(slots, access.principal))
            } else if let bytes = RPCFrame.encodeBatch(slots.compactMap { if case .done(let r) = $0 { return r } else { return nil } }) {
                out += bytes
            }
        }
    }

    /// Answers a request without a task when that is cheap or touches connection state.
    private func inline(_ request: RPCRequest, access: inout ConnectionAccess, closeAfter: inout Bool) -> Inline {
        func reply(_ outcome: RPCResponse.Outcome) -> Inline {
            .answered(request.id.map { RPCResponse(id: $0, outcome: outcome) })
        }
        // The connection's own auth.* methods are not in the table; any other method is looked up
        // once, for its handler and its access. A method this node does not serve needs no role: it
        // answers method_not_found below, unaudited.
        let isAuth = request.method == MethodName.authChallenge.rawValue || request.method == MethodName.authResponse.rawValue
        let route: MethodTable.Route = isAuth ? .unknown : shared.methods.route(request.method)
        let needs: MethodAccess?
        switch route {
        case .unknown: needs = isAuth ? MethodAccess.of(request.method) : nil
        case .immediate(_, let access), .task(_, let access): needs = access
        }
        if let refusal = access.authorize(request.method, access: needs) {
            if access.auth.isAuthenticated {
                shared.logger.notice("refused_role", ["connection": id, "method": request.method, "role": access.principal.role])
            } else {
                shared.logger.notice("refused_unauthenticated", ["connection": id, "method": request.method])
            }
            // A refused mutation is an attempt to change something: audited like one.
            if needs?.mutates == true { shared.audit.record(request, by: access.principal, authenticated: access.auth.isAuthenticated,
                                                            connection: id, outcome: .error(refusal)) }
            return reply(.error(refusal))
        }
        do throws(RPCError) {
            switch request.method {
            case MethodName.authChallenge.rawValue:
                _ = try request.decodeParams(NoParams.self)
                return reply(.result(try access.challenge().jsonValue))
            case MethodName.authResponse.rawValue:
                let params = try request.decodeParams(AuthResponseParams.self)
                do throws(RPCError) {
                    let result = try access.respond(params)
                    shared.registry.authenticated(id)  // out of the unauthenticated budget, and of the deadline
                    shared.logger.info("authenticated", ["connection": id, "peer": context.remoteAddress ?? "?",
                                                         "secret": access.principal.secretName ?? "?", "role": access.principal.role])
                    return reply(.result(result.jsonValue))
                } catch {
                    shared.logger.warning("auth_failed", ["connection": id, "peer": context.remoteAddress ?? "?", "attempts": access.failedAttempts])
                    if access.shouldClose { closeAfter = true }
                    throw error
                }
            default:
                switch route {
                case .unknown: return reply(.error(.methodNotFound(request.method)))
                case .immediate(let handler, _): return reply(.result(try handler(request, context)))
                case .task(let placement, let access): return .dispatch(placement, access)
                }
            }
        } catch {
            return reply(.error(error))
        }
    }

    private func run(_ job: Job, channel: NotificationChannel?) async -> [UInt8] {
        switch job {
        case .single(let request, _, let principal, let audited):
            var context = context
            context.notifications = channel
            context.principal = principal
            let outcome = await call(request, context: context, audited: audited)
            guard let id = request.id else { return [] }
            return RPCFrame.encode(RPCResponse(id: id, outcome: outcome))
        case .batch(let slots, let principal):
            let batchContext = { var c = context; c.principal = principal; return c }()
            let answers = await withTaskGroup(of: (Int, RPCResponse?).self) { group in
                for (k, slot) in slots.enumerated() {
                    guard case .pending(let request) = slot else { continue }
                    group.addTask {
                        let outcome = await call(request, context: batchContext, audited: MethodAccess.of(request.method).mutates)
                        return (k, request.id.map { RPCResponse(id: $0, outcome: outcome) })
                    }
                }
                var answers: [Int: RPCResponse] = [:]
                for await (k, response) in group { if let response { answers[k] = response } }
                return answers
            }
            var responses: [RPCResponse] = []
            for (k, slot) in slots.enumerated() {
                switch slot {
                case .done(let r?): responses.append(r)
                case .done(nil): break
                case .pending: if let r = answers[k] { responses.append(r) }
                }
            }
            return RPCFrame.encodeBatch(responses) ?? []
        }
    }

    private func call(_ request: RPCRequest, context: RequestContext, audited: Bool) async -> RPCResponse.Outcome {
        let outcome = await callHandler(request, context: context)
        if audited {
            shared.audit.record(request, by: context.principal, connection: id, outcome: outcome)
        }
        return outcome
    }

    private func callHandler(_ request: RPCRequest, context: RequestContext) async -> RPCResponse.Outcome {
        do {
            guard let outcome = try await shared.methods.call(request, context: context) else {
                return .error(.methodNotFound(request.method))
            }
            return outcome
        } catch let error as RPCError {
            return .error(error)
        } catch {
            shared.logger.error("handler_failed", ["method": request.method, "error": "\(error)"])
            return .error(.internal("\(request.method) failed: \(error)"))
        }
    }
}

extension JSONValue {
    static func encoding(_ value: some Encodable) throws(RPCError) -> JSONValue {
        do { return try JSONValueEncoder().encode(value) } catch { throw RPCError.internal("cannot encode a result: \(error)") }
    }
}
