import BerthProtocol
import BerthSystem
import Testing
@testable import BerthClient

/// `FanOut.exchange` (the poll-driven path the CLI's commands use) against real sockets.
@Suite struct ExchangeTests {
    typealias Node = (address: NodeAddress, options: ConnectOptions, calls: [PlannedCall])

    @Test func everyNodeAnswersInOrderAndTheDeadOneIsNamed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dead = NodeAddress.unix(path: directory.path + "/dead.sock")
        try await FakeNode.with(handler: pingHandler) { a in
            try await FakeNode.with(listen: .tcp, handler: pingHandler) { b in
                let ping = [PlannedCall(.nodePing, params: ["echo": "hi"])]
                let outcomes = await FanOut.exchange([(a, ConnectOptions(), ping), (dead, ConnectOptions(), ping), (b, ConnectOptions(), ping)],
                                                     timeout: .seconds(10))
                #expect(outcomes.map(\.address) == [a, dead, b])
                for index in [0, 2] {
                    let answers = try outcomes[index].result.get()
                    #expect(answers.count == 1 && answers[0].response.result?["echo"] == "hi")
                    #expect(answers[0].roundTrip > .zero)
                }
                #expect(outcomes[1].result.clientErrorCode == .unreachable)
                if case .failure(let error as ClientError) = outcomes[1].result { #expect(error.message.contains(dead.description)) }
            }
        }
    }

    @Test func aNodesCallsRunOneAfterAnotherInPlanOrder() async throws {
        let inFlight = Lock((now: 0, most: 0, order: [String]()))
        let handler: FakeNode.Handler = { request in
            guard let id = request.id else { return nil }
            let value = request.params?["value"]?.stringValue ?? "?"
            inFlight.withLock { $0.now += 1; $0.most = max($0.most, $0.now); $0.order.append(value) }
            // The first is the slowest: were the calls sent together, later answers would overtake it.
            try? await Task.sleep(for: .milliseconds(value == "first" ? 150 : 10))
            inFlight.withLock { $0.now -= 1 }
            return .success(id: id, result: .object(["value": .string(value)]))
        }
        try await FakeNode.with(handler: handler) { address in
            let calls = ["first", "second", "third"].map { PlannedCall(method: "slow.echo", params: ["value": .string($0)], label: $0) }
            let outcomes = await FanOut.exchange([(address, ConnectOptions(), calls)], timeout: .seconds(10))
            let answers = try outcomes[0].result.get()
            #expect(answers.map(\.call.label) == ["first", "second", "third"])
            #expect(answers.map { $0.response.result?["value"]?.stringValue } == ["first", "second", "third"])
            #expect(inFlight.withLock { $0.most } == 1)
            #expect(inFlight.withLock { $0.order } == ["first", "second", "third"])
        }
    }

    @Test func tcpWithTheSecretAuthenticatesAndAnswers() async throws {
        try await FakeNode.with(listen: .tcp, secret: testSecret, handler: containerHandler([web])) { address in
            let outcomes = await FanOut.exchange([(address, ConnectOptions.plainTCP(secret: testSecret),
                                                   [PlannedCall(.containerList), PlannedCall(.containerStart, params: ["id": "web"])])],
                                                 timeout: .seconds(10))
            let answers = try outcomes[0].result.get()
            #expect(answers.count == 2)
            #expect(answers[0].response.result?["containers"]?[0]?["id"] == "web")
            #expect(answers[1].response.result?["state"] == "active")
        }
    }

    @Test func refusedSecretsAndUnprovenNodesFailTheNode() async throws {
        let wrong = try AuthSecret(bytes: Array("some-other-secret-of-enough-size".utf8))
        try await FakeNode.with(listen: .tcp, secret: testSecret, handler: containerHandler([web])) { honest in
            try await FakeNode.with(listen: .tcp, secret: testSecret, auth: .forgedProof, handler: containerHandler([web])) { forger in
                let list = [PlannedCall(.containerList)]
                let outcomes = await FanOut.exchange([(honest, ConnectOptions.plainTCP(secret: wrong), list), (forger, ConnectOptions.plainTCP(secret: testSecret), list),
                                                      (honest, ConnectOptions(), list)], timeout: .seconds(10))
                let messages = outcomes.map { outcome -> String in
                    if case .failure(let error as ClientError) = outcome.result, error.code == .authenticationFailed { return error.message }
                    return "not an authentication failure: \(outcome.result)"
                }
                #expect(messages[0].contains("refused authentication"))
                #expect(messages[1].contains("could not prove"))
                #expect(messages[2].contains("requires authentication"))
            }
        }
    }

    @Test func aHangingCallTimesOutOnItsOwnClockAndTheOthersFinish() async throws {
        try await FakeNode.with(handler: scriptedHandler) { slow in
            try await FakeNode.with(handler: pingHandler) { fast in
                var options = ConnectOptions()
                options.callTimeout = .milliseconds(300)
                // The fast node gets its own, roomy timeout: with the whole suite on two cores, this
                // in-process node once took over 300 ms to answer a ping.
                let clock = ContinuousClock()
                let start = clock.now
                let outcomes = await FanOut.exchange([(slow, options, [PlannedCall(method: "hang")]), (fast, ConnectOptions(), [PlannedCall(.nodePing)])],
                                                     timeout: .seconds(20))
                #expect(clock.now - start < .seconds(60))  // the node hangs for 60 s: it did not wait for that
                guard case .failure(let error as ClientError) = outcomes[0].result else {
                    Issue.record("expected a timeout, got \(outcomes[0].result)")
                    return
                }
                #expect(error.code == .timedOut && error.message.contains("no answer to hang within 300ms"))
                let fastAnswers = try outcomes[1].result.get()
                #expect(fastAnswers.first?.response.result?["pong"] == true)
            }
        }
    }

    @Test func theOverallDeadlineEndsWhatIsLeft() async throws {
        try await FakeNode.with(handler: scriptedHandler) { slow in
            var options = ConnectOptions()
            options.callTimeout = nil
            let outcomes = await FanOut.exchange([(slow, options, [PlannedCall(method: "hang")])], timeout: .milliseconds(400))
            guard case .failure(let error as ClientError) = outcomes[0].result else {
                Issue.record("expected a timeout, got \(outcomes[0].result)")
                return
            }
            #expect(error.code == .timedOut && error.message.hasSuffix("no answer within 400ms"))
        }
    }

    @Test func aClosedPortAndAnUnresolvableNameAreUnreachable() async throws {
        // A port that was free a moment ago: nothing listens there.
        let probe = try Listener.listen(on: .ipv4(IPv4Address(rawValue: 0x7F00_0001), port: 0))
        let port = try probe.localAddress().port!
        probe.close()
        let outcomes = await FanOut.exchange([(.tcp(host: "127.0.0.1", port: port), ConnectOptions(), [PlannedCall(.nodePing)]),
                                              (.tcp(host: "no-such-host.invalid", port: 7), ConnectOptions(), [PlannedCall(.nodePing)])],
                                             timeout: .seconds(10))
        #expect(outcomes.map(\.result.clientErrorCode) == [.unreachable, .unreachable])
        if case .failure(let error as ClientError) = outcomes[1].result { #expect(error.message.contains("cannot resolve")) }
    }
}
