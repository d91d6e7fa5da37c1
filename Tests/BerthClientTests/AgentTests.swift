#if canImport(Glibc)
import Glibc
#endif
import BerthProtocol
import BerthSystem
import Testing
@testable import BerthAgent
@testable import BerthClient

/// `berth agent`: the params both sides read, and the agent serving `FanOut.exchange` over real
/// sockets, in front of a fake TCP node that requires the secret.
@Suite struct AgentTests {
    typealias Node = (address: NodeAddress, options: ConnectOptions, calls: [PlannedCall])

    /// Runs an agent on a socket in `directory` for the length of `body`.
    func withAgent<R>(_ directory: TemporaryDirectory, keep: Duration = .seconds(120),
                      _ body: (String) async throws -> R) async throws -> R {
        let path = directory.path + "/agent.sock"
        let server = try AgentServer(AgentServer.Configuration(socketPath: path, keep: keep))
        async let served: Void = DedicatedThread.run(name: "test-agent") { try server.serve() }
        do {
            let result = try await body(path)
            server.stop()
            try await served
            return result
        } catch {
            server.stop()
            try? await served
            throw error
        }
    }

    /// `agent.info`'s connection counters, asked like any client would.
    func counters(_ path: String) throws -> [String: Int64] {
        let socket = try Socket.connect(to: .unix(path: path), timeout: .seconds(5))
        defer { socket.close() }
        let line = RPCFrame.encode(RPCRequest(id: 1, method: "agent.info", params: nil))
        _ = try line.withUnsafeBytes { try socket.send($0) }
        var framer = LineFramer()
        while true {
            guard let chunk = try socket.receive(upTo: 65536), !chunk.isEmpty else { throw ClientError(.closed, "agent closed") }
            if let first = try framer.feed(chunk).first, case .response(let response) = try RPCFrame.decodeFromNode(first),
               case .object(let connections)? = response.result?["connections"] {
                return connections.compactMapValues { $0.intValue }
            }
        }
    }

    final class Warnings: Sendable {
        let lines = Lock([String]())
        var all: [String] { lines.withLock { $0 } }
        func route(_ path: String) -> AgentRoute {
            AgentRoute(path: path) { line in self.lines.withLock { $0.append(line) } }
        }
    }

    @Test func paramsReadBackAsTheSameNode() throws {
        var options = ConnectOptions(connectTimeout: .milliseconds(1500), callTimeout: .seconds(7), secret: testSecret)
        options.tcpPlain = true  // FakeNode speaks the plain challenge-response
        options.hello = true
        let node = Exchanger.Node(address: .tcp(host: "db.example", port: 7420),
                                  candidates: [.ipv4(IPv4Address(rawValue: 0xC612_0001), port: 7420), SocketAddress.literal(host: "::1", port: 7420)!],
                                  options: options,
                                  calls: [PlannedCall(.containerList, params: ["all": true]), PlannedCall(.containerStart, params: ["id": "web"])])
        var known: [String: NodeAddress] = [:]
        let read = try AgentProtocol.exchange(from: AgentProtocol.params(for: node), known: &known)
        #expect(known[node.address.description] == node.address)
        let again = try AgentProtocol.exchange(from: AgentProtocol.params(for: node), known: &known)
        #expect(again.key == read.key)
        #expect(read.node.address == node.address)
        #expect(read.node.candidates == node.candidates)
        #expect(read.node.options.secret == testSecret)
        #expect(read.node.options.connectTimeout == .milliseconds(1500))
        #expect(read.node.options.callTimeout == .seconds(7))
        #expect(read.node.calls.map(\.method) == ["container.list", "container.start"])
        #expect(read.node.calls.map(\.params) == node.calls.map(\.params))
        #expect(read.key == AgentProtocol.PoolKey(address: node.address, candidates: node.candidates, secret: testSecret, tcpPlain: true))
    }

    /// Every line `requests` writes carries its own id and exactly its own node's params, also where
    /// neighbours differ in calls, secret or timeouts.
    @Test func requestLinesCarryEachNodesOwnParams() throws {
        func node(_ k: Int, secret: AuthSecret? = testSecret, calls: [PlannedCall] = [PlannedCall(.containerList, params: ["all": true])],
                  callTimeout: Duration? = .seconds(30), connectTimeout: Duration = .seconds(5)) -> Exchanger.Node {
            Exchanger.Node(address: .tcp(host: "198.18.0.\(k)", port: 7420),
                           candidates: [.ipv4(IPv4Address(rawValue: 0xC612_0000 + UInt32(k)), port: 7420)],
                           options: ConnectOptions(connectTimeout: connectTimeout, callTimeout: callTimeout, secret: secret), calls: calls)
        }
        let nodes = [node(1), node(2), node(3, secret: nil), node(4, secret: nil), node(5),
                     node(6, calls: [PlannedCall(.containerList, params: ["all": false])]), node(7, calls: []),
                     node(8, callTimeout: nil), node(9, callTimeout: .seconds(31)), node(10, connectTimeout: .seconds(6)), node(11)]
        var framer = LineFramer(limit: AgentProtocol.lineLimit)
        let lines = try framer.feed(AgentClient.requests(for: nodes))
        #expect(lines.count == nodes.count)
        var known: [String: NodeAddress] = [:]
        for (k, line) in lines.enumerated() {
            guard case .request(let request) = RPCFrame.decode(line) else {
                Issue.record("line \(k + 1) is not a request: \(String(decoding: line, as: UTF8.self))")
                continue
            }
            #expect(request.id == .int(Int64(k + 1)))
            #expect(request.method == AgentProtocol.exchange)
            #expect(request.params == AgentProtocol.params(for: nodes[k]), "line \(k + 1)")
            let read = try AgentProtocol.exchange(from: request.params, known: &known)
            #expect(read.node.address == nodes[k].address && read.node.options.secret == nodes[k].options.secret)
            #expect(read.node.options.callTimeout == nodes[k].options.callTimeout)
            #expect(read.node.options.connectTimeout == nodes[k].options.connectTimeout)
            #expect(read.node.calls.map(\.params) == nodes[k].calls.map(\.params))
        }
    }

    @Test(arguments: [
        (#"{"candidates":[{"host":"127.0.0.1","port":1}],"connectTimeoutMillis":1,"calls":[]}"#, "\"node\""),
        (#"{"node":"unix:/x.sock","candidates":[{"host":"127.0.0.1","port":1}],"connectTimeoutMillis":1,"calls":[]}"#, "tcp:// connections only"),
        (#"{"node":"tcp://h:1","candidates":[{"host":"h; rm -rf /","port":1}],"connectTimeoutMillis":1,"calls":[]}"#, "IP literal"),
        (#"{"node":"tcp://h:1","candidates":[],"connectTimeoutMillis":1,"calls":[]}"#, "\"candidates\""),
        (#"{"node":"tcp://h:1","candidates":[{"host":"127.0.0.1","port":0}],"connectTimeoutMillis":1,"calls":[]}"#, "1-65535"),
        (#"{"node":"tcp://h:1","candidates":[{"host":"127.0.0.1","port":1}],"connectTimeoutMillis":0,"calls":[]}"#, "connectTimeoutMillis"),
        (#"{"node":"tcp://h:1","candidates":[{"host":"127.0.0.1","port":1}],"connectTimeoutMillis":1,"calls":{}}"#, "\"calls\""),
        (#"{"node":"tcp://h:1","candidates":[{"host":"127.0.0.1","port":1}],"connectTimeoutMillis":1,"calls":[{"params":{}}]}"#, "\"method\""),
        (#"{"node":"tcp://h:1","candidates":[{"host":"127.0.0.1","port":1}],"connectTimeoutMillis":1,"calls":[],"secret":"short"}"#, "\"secret\""),
    ])
    func badParamsAreRefusedNamingWhatIsWrong(_ json: String, _ named: String) throws {
        let params = try JSONParser.parse(Array(json.utf8))
        #expect {
            var known: [String: NodeAddress] = [:]
            _ = try AgentProtocol.exchange(from: params, known: &known)
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.kind == .invalidParams && error.message.contains(named)
        }
    }

    @Test func answersAndFailuresReadBackAsTheyWere() throws {
        let node = Exchanger.Node(address: .tcp(host: "127.0.0.1", port: 9), candidates: [], options: ConnectOptions(),
                                  calls: [PlannedCall(.containerList), PlannedCall(.containerStart, params: ["id": "x"])])
        let answers = [
            CallAnswer(call: node.calls[0], response: .success(id: 7, result: ["containers": []]), roundTrip: .microseconds(250)),
            CallAnswer(call: node.calls[1], response: .failure(id: 8, error: RPCError(.notFound, "no container \"x\"")), roundTrip: .microseconds(3)),
        ]
        let line = AgentProtocol.answerLine(id: 4, answers: answers)
        guard case .response(let response) = try RPCFrame.decodeFromNode(Array(line.dropLast())) else {
            Issue.record("not a response")
            return
        }
        #expect(response.id == 4)
        let read = try AgentProtocol.outcome(of: response, for: node, agent: "/a.sock").get()
        #expect(read.map(\.response) == answers.map(\.response))
        #expect(read.map(\.roundTrip) == [.microseconds(250), .microseconds(3)])
        #expect(read.map(\.call.method) == ["container.list", "container.start"])

        let failure = ClientError(.authenticationFailed, "tcp://127.0.0.1:9 refused authentication: unauthorized: wrong proof")
        let failed = AgentProtocol.failureLine(id: 5, failure)
        guard case .response(let failedResponse) = try RPCFrame.decodeFromNode(Array(failed.dropLast())) else {
            Issue.record("not a response")
            return
        }
        #expect {
            _ = try AgentProtocol.outcome(of: failedResponse, for: node, agent: "/a.sock").get()
        } throws: { error in
            (error as? ClientError) == failure
        }
    }

    @Test func commandsShareOneAuthenticatedConnectionPerNode() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withAgent(directory) { path in
            try await FakeNode.with(listen: .tcp, secret: testSecret, handler: containerHandler([web])) { address in
                let warnings = Warnings()
                let node: Node = (address, ConnectOptions.plainTCP(secret: testSecret), [PlannedCall(.containerList)])
                for _ in 0..<3 {
                    let outcomes = await FanOut.exchange([node], timeout: .seconds(10), agent: warnings.route(path))
                    let answers = try outcomes[0].result.get()
                    #expect(answers.count == 1)
                    #expect(answers[0].response.result?["containers"]?[0]?["id"] == "web")
                }
                #expect(warnings.all.isEmpty)
                let counters = try counters(path)
                #expect(counters["opened"] == 1)
                #expect(counters["reused"] == 2)
                #expect(counters["idle"] == 1)
            }
        }
    }

    @Test func anotherSecretNeverRidesOnAConnectionAuthenticatedWithTheFirst() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let wrong = try AuthSecret(bytes: Array("another-secret-of-32-bytes-long!".utf8))
        try await withAgent(directory) { path in
            try await FakeNode.with(listen: .tcp, secret: testSecret, handler: containerHandler([web])) { address in
                let route = Warnings().route(path)
                let good = await FanOut.exchange([(address, ConnectOptions.plainTCP(secret: testSecret), [PlannedCall(.containerList)])],
                                                 timeout: .seconds(10), agent: route)
                _ = try good[0].result.get()
                let bad = await FanOut.exchange([(address, ConnectOptions.plainTCP(secret: wrong), [PlannedCall(.containerList)])],
                                                timeout: .seconds(10), agent: route)
                #expect(bad[0].result.clientErrorCode == .authenticationFailed)
                if case .failure(let error as ClientError) = bad[0].result { #expect(error.message.contains(address.description)) }
                let none = await FanOut.exchange([(address, ConnectOptions(), [PlannedCall(.containerList)])],
                                                 timeout: .seconds(10), agent: route)
                #expect(none[0].result.clientErrorCode == .authenticationFailed)
                let opened = try counters(path)["opened"]
                #expect(opened == 3)
            }
        }
    }

    @Test func withoutAnAgentTheNodesAreAskedDirectlyAfterAWarning() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await FakeNode.with(listen: .tcp, secret: testSecret, handler: containerHandler([web])) { tcp in
            try await FakeNode.with(handler: pingHandler) { unix in
                let warnings = Warnings()
                let path = directory.path + "/nobody.sock"
                let outcomes = await FanOut.exchange([(tcp, ConnectOptions.plainTCP(secret: testSecret), [PlannedCall(.containerList)]),
                                                      (unix, ConnectOptions(), [PlannedCall(.nodePing, params: ["echo": "u"])])],
                                                     timeout: .seconds(10), agent: warnings.route(path))
                let listed = try outcomes[0].result.get()[0].response.result
                let echoed = try outcomes[1].result.get()[0].response.result
                #expect(listed?["containers"]?[0]?["id"] == "web")
                #expect(echoed?["echo"] == "u")
                #expect(warnings.all.count == 1)
                #expect(warnings.all.first?.contains("agent at \(path)") == true)
                #expect(warnings.all.first?.contains("connecting to the nodes directly") == true)
            }
        }
    }

    @Test func unixNodesBesideTheAgentsAreAskedDirectlyInTheSameFanOut() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withAgent(directory) { path in
            try await FakeNode.with(listen: .tcp, secret: testSecret, handler: containerHandler([web])) { tcp in
                try await FakeNode.with(handler: pingHandler) { unix in
                    let outcomes = await FanOut.exchange([(unix, ConnectOptions(), [PlannedCall(.nodePing, params: ["echo": "u"])]),
                                                          (tcp, ConnectOptions.plainTCP(secret: testSecret), [PlannedCall(.containerList)])],
                                                         timeout: .seconds(10), agent: Warnings().route(path))
                    #expect(outcomes.map(\.address) == [unix, tcp])
                    let echoed = try outcomes[0].result.get()[0].response.result
                    let listed = try outcomes[1].result.get()[0].response.result
                    #expect(echoed?["echo"] == "u")
                    #expect(listed?["containers"]?[0]?["id"] == "web")
                    let opened = try counters(path)["opened"]
                    #expect(opened == 1)
                }
            }
        }
    }

    @Test func anIdleConnectionIsClosedAfterKeep() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let keep = Duration.milliseconds(500)
        try await withAgent(directory, keep: keep) { path in
            try await FakeNode.with(listen: .tcp, secret: testSecret, handler: containerHandler([web])) { address in
                let node: Node = (address, ConnectOptions.plainTCP(secret: testSecret), [PlannedCall(.containerList)])
                let clock = ContinuousClock()
                let used = clock.now
                _ = try await FanOut.exchange([node], timeout: .seconds(10), agent: Warnings().route(path))[0].result.get()
                let idleAfterUse = try counters(path)["idle"]
                // Kept, when asked before `keep` ran out (a loaded machine may take longer).
                if used.duration(to: clock.now) < keep { #expect(idleAfterUse == 1) }
                // Closed once it ran out: within a few seconds even on a loaded machine.
                var idleLater = idleAfterUse
                let deadline = clock.now + .seconds(10)
                while idleLater != 0, clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    idleLater = try counters(path)["idle"]
                }
                #expect(idleLater == 0)
                #expect(used.duration(to: clock.now) >= keep)
                _ = try await FanOut.exchange([node], timeout: .seconds(10), agent: Warnings().route(path))[0].result.get()
                let opened = try counters(path)["opened"]
                #expect(opened == 2)
            }
        }
    }

    @Test func aKeptConnectionThatBreaksUnansweredIsRetriedOnceForReadsOnly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The node reads the second list and the first start, then drops the connection unanswered.
        let seen = Lock((lists: 0, starts: 0))
        let drops: FakeNode.Dropper = { request in
            seen.withLock { seen in
                switch request.method {
                case "container.list":
                    seen.lists += 1
                    return seen.lists == 2
                case "container.start":
                    seen.starts += 1
                    return seen.starts == 1
                default: return false
                }
            }
        }
        try await withAgent(directory) { path in
            try await FakeNode.with(listen: .tcp, secret: testSecret, drops: drops, handler: containerHandler([web])) { address in
                let route = Warnings().route(path)
                let list: Node = (address, ConnectOptions.plainTCP(secret: testSecret), [PlannedCall(.containerList)])
                _ = try await FanOut.exchange([list], timeout: .seconds(10), agent: route)[0].result.get()
                // Reused, dropped unanswered, asked again on a new connection: the user sees the list.
                let again = try await FanOut.exchange([list], timeout: .seconds(10), agent: route)[0].result.get()
                #expect(again.first?.response.result?["containers"]?[0]?["id"] == "web")
                #expect(seen.withLock { $0.lists } == 3)
                let afterRetry = try counters(path)
                #expect(afterRetry["opened"] == 2)
                #expect(afterRetry["reused"] == 1)
                // A start is never sent twice: the broken connection is the user's error to see.
                let start: Node = (address, ConnectOptions.plainTCP(secret: testSecret), [PlannedCall(.containerStart, params: ["id": "web"])])
                let started = await FanOut.exchange([start], timeout: .seconds(10), agent: route)[0].result
                #expect(started.clientErrorCode == .closed)
                if case .failure(let error as ClientError) = started { #expect(error.message.contains(address.description)) }
                #expect(seen.withLock { $0.starts } == 1)
                let opened = try counters(path)["opened"]
                #expect(opened == 2)
            }
        }
    }

    @Test func agentStatusReportsTheConnectionsOrThatNoAgentAnswers() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let nobody = await runCLI(["agent", "status", "--socket", directory.path + "/none.sock"])
        #expect(nobody.code == .unreachable)
        #expect(nobody.err.contains("no berth agent answers at \(directory.path)/none.sock"))
        try await withAgent(directory) { path in
            try await FakeNode.with(listen: .tcp, secret: testSecret, handler: containerHandler([web])) { address in
                let node: Node = (address, ConnectOptions.plainTCP(secret: testSecret), [PlannedCall(.containerList)])
                for _ in 0..<2 { _ = try await FanOut.exchange([node], timeout: .seconds(10), agent: Warnings().route(path))[0].result.get() }
                let text = await runCLI(["agent", "status"], environment: ["BERTH_AGENT": path])
                #expect(text.code == .success)
                #expect(text.out.contains("berth agent at \(path) (pid \(getpid())): 1 node connections open (1 idle, 0 busy); 1 opened and 1 reused"))
                let json = await runCLI(["agent", "status", "--socket", path, "--json"])
                #expect(json.code == .success)
                let info = try JSONParser.parse(Array(json.out.utf8.dropLast()))
                #expect(info["connections"]?["reused"] == 1)
                #expect(info["socket"]?.stringValue == path)
            }
        }
    }
}
