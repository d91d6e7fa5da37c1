import BerthProtocol
import Testing
@testable import BerthClient

/// A node that knows some containers: list, status, start and env.get over them.
func containerHandler(_ containers: [ContainerStatus]) -> FakeNode.Handler {
    { request in
        guard let id = request.id else { return nil }
        let wanted = request.params?["id"]?.stringValue
        let found = containers.first { $0.id == wanted }
        switch request.method {
        case MethodName.containerList.rawValue:
            return .success(id: id, encoding: ContainerListResult(containers: containers))
        case MethodName.containerStatus.rawValue, MethodName.containerStart.rawValue:
            guard var status = found else {
                return .failure(id: id, error: RPCError(.notFound, "no container \(String(reflecting: wanted ?? ""))"))
            }
            if request.method == MethodName.containerStart.rawValue { status.state = "active" }
            return .success(id: id, encoding: status)
        case MethodName.containerEnvGet.rawValue:
            return .success(id: id, encoding: ContainerEnvResult(id: wanted ?? "", environment: [EnvironmentEntry(name: "GREETING", value: "hi\nthere")]))
        default:
            return await pingHandler(request)
        }
    }
}

let web = ContainerStatus(id: "web", image: "localhost/httpd", state: "active", subState: "running",
                          ports: [PortMapping(internal: 8080, external: 40000)])
let idle = ContainerStatus(id: "idle", image: "localhost/busybox", state: "inactive", subState: "dead")

@Suite struct FanOutTests {
    @Test func oneDeadNodeDoesNotHideTheOthers() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dead = NodeAddress.unix(path: directory.path + "/dead.sock")
        try await FakeNode.with(handler: pingHandler) { a in
            try await FakeNode.with(handler: pingHandler) { b in
                let outcomes = await FanOut.run([a, dead, b], timeout: .seconds(5)) { client in
                    try await client.call(MethodName.nodePing.rawValue, as: PingResult.self).pong
                }
                #expect(outcomes.map(\.address) == [a, dead, b])
                #expect((try? outcomes[0].result.get()) == true)
                #expect((try? outcomes[2].result.get()) == true)
                #expect(throws: ClientError.self) { try outcomes[1].result.get() }
            }
        }
    }

    @Test func aHangingNodeTimesOutAloneWithinItsDeadline() async throws {
        try await FakeNode.with(handler: scriptedHandler) { slow in
            try await FakeNode.with(handler: pingHandler) { fast in
                let clock = ContinuousClock()
                let start = clock.now
                let outcomes = await FanOut.run([slow, fast], timeout: .seconds(8)) { client in
                    try await client.call(client.address == slow ? "hang" : MethodName.nodePing.rawValue, as: JSONValue.self)
                }
                // The slow node hangs for 60 s; finishing well before that shows FanOut's 8 s deadline
                // ended it. The bounds are loose on purpose: with the whole suite starting on 2 busy
                // cores, tests that block pool threads delayed the wake-up to 11 s once, and the fast
                // node's ping missed a 2 s deadline once (every test in flight stalled ~4 s then).
                #expect(clock.now - start < .seconds(30))
                #expect(outcomes[0].result.clientErrorCode == .timedOut)
                #expect((try? outcomes[1].result.get())?["pong"] == true)
            }
        }
    }

    @Test func psAcrossNodesPrintsTheReachableOnesAndExits1() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dead = "unix:" + directory.path + "/dead.sock"
        try await FakeNode.with(handler: containerHandler([web, idle])) { a in
            try await FakeNode.with(handler: containerHandler([idle])) { b in
                let result = await runCLI(["ps", "--all", "--node", a.description, "--node", dead, "--node", b.description])
                #expect(result.code == .failure)
                let lines = result.out.split(separator: "\n").map(String.init)
                #expect(lines.first?.hasPrefix("ID") == true && lines.first?.hasSuffix("NODE") == true)
                #expect(lines.count == 4)
                #expect(lines.contains { $0.hasPrefix("web") && $0.contains("40000->8080") && $0.hasSuffix(a.description) })
                #expect(lines.filter { $0.hasPrefix("idle") }.count == 2)
                #expect(result.err.contains("berth: cannot reach \(dead)"))

                // Without --all, inactive containers are hidden.
                let running = await runCLI(["ps", "--node", a.description])
                #expect(running.code == .success)
                #expect(running.out.split(separator: "\n").map(String.init) == PsCommand.table([(web, nil)]).render())
            }
        }
    }

    @Test func nodeErrorsPrintTheirKindAndExit1() async throws {
        try await FakeNode.with(handler: containerHandler([web])) { a in
            let result = await runCLI(["start", "web", "ghost", "--node", a.description])
            #expect(result.code == .failure)
            #expect(result.out == "started web (active)\n")
            #expect(result.err == "berth: ghost: not_found: no container \"ghost\"\n")

            let ok = await runCLI(["status", "web", "--node", a.description])
            #expect(ok.code == .success)
            #expect(ok.out.contains("state:            active (running)"))
            #expect(ok.out.contains("ports:            40000->8080"))
        }
    }

    @Test func jsonOutputIsTheResultForOneNode() async throws {
        try await FakeNode.with(handler: containerHandler([web])) { a in
            let one = await runCLI(["status", "web", "--json"], environment: ["BERTH_NODE": a.description])
            #expect(one.code == .success)
            let value = try JSONParser.parse(Array(one.out.utf8).dropLast().map { $0 })
            #expect(try JSONValueDecoder().decode(ContainerStatus.self, from: value) == web)

            let env = await runCLI(["env", "web", "--node", a.description])
            #expect(env.out == "GREETING=\"hi\\nthere\"\n")
        }
    }
}

extension Result {
    var clientErrorCode: ClientError.Code? {
        if case .failure(let error) = self { return (error as? ClientError)?.code }
        return nil
    }
}
