import BerthProtocol
import Testing
@testable import BerthClient

/// The state machine alone, fed answers by hand: which lines go out when, and what counts as done.
@Suite struct ConversationTests {
    let now = ContinuousClock.now
    let tcp = NodeAddress.tcp(host: "127.0.0.1", port: 7000)
    let unix = NodeAddress.unix(path: "/tmp/x.sock")

    /// The requests in a `.send` step, in order.
    func requests(_ step: Conversation.Step) -> [RPCRequest] {
        guard case .send(let bytes) = step else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            if case .request(let request) = RPCFrame.decode(Array(line)) { return request }
            return nil
        }
    }

    func answer(_ request: RPCRequest, _ result: some Encodable) throws -> RPCResponse {
        RPCResponse(id: request.id!, outcome: .result(try JSONValueEncoder().encode(result)))
    }

    func line(_ response: RPCResponse) -> [UInt8] {
        var bytes = RPCFrame.encode(response)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes
    }

    func receive(_ conversation: inout Conversation, _ response: RPCResponse) -> Conversation.Step {
        line(response).withUnsafeBufferPointer { conversation.receive($0, now: now) }
    }

    @Test func aUnixNodeWithoutSecretGetsTheCallsOneAfterAnother() throws {
        let calls = [PlannedCall(.containerStart, params: ["id": "a"], label: "a"), PlannedCall(.containerStart, params: ["id": "b"], label: "b")]
        var conversation = Conversation(address: unix, options: ConnectOptions(), calls: calls)
        let first = requests(conversation.start(now: now))
        #expect(first.map(\.method) == ["container.start"])
        #expect(first.first?.params?["id"] == "a")
        #expect(!conversation.sentEverything)  // "b" is still to come
        let second = requests(receive(&conversation, try answer(first[0], ["state": "active"])))
        #expect(conversation.sentEverything)
        #expect(second.map(\.method) == ["container.start"])
        #expect(second.first?.params?["id"] == "b")
        let done = receive(&conversation, RPCResponse(id: second[0].id!, outcome: .error(RPCError(.notFound, "no container \"b\""))))
        guard case .finished(.success(let answers)) = done else {
            Issue.record("expected the conversation to finish, got \(done)")
            return
        }
        #expect(answers.map(\.call.label) == ["a", "b"])
        #expect(answers[0].response.result?["state"] == "active")
        #expect(answers[1].response.error?.kind == .notFound)
    }

    /// `NodeClient`'s mode: calls asked while the opening runs wait for it, then go out together;
    /// answers come back by call number in the node's order, notifications are kept for the driver,
    /// a forgotten call's late answer is dropped, and nothing finishes until the connection fails.
    @Test func anOngoingConversationPipelinesAskedCallsAndHandsOverWhatArrives() throws {
        var conversation = Conversation(address: unix, options: ConnectOptions(hello: true), calls: [], ongoing: true)
        let hello = requests(conversation.start(now: now))
        #expect(hello.map(\.method) == ["node.hello"])
        #expect(!conversation.isOpen)
        let early = conversation.ask(PlannedCall(.nodePing), now: now)
        guard case .wait = early.step else {
            Issue.record("a call asked during the opening went out early: \(early.step)")
            return
        }
        let helloResult = HelloResult(protocol: 1, node: NodeIdentity(version: "t", hostname: "n1"), capabilities: [])
        let held = requests(receive(&conversation, try answer(hello[0], helloResult)))
        #expect(conversation.isOpen)
        #expect(conversation.hello?.node.hostname == "n1")
        #expect(held.map(\.method) == ["node.ping"])
        let second = conversation.ask(PlannedCall(.containerList), now: now)
        let third = conversation.ask(PlannedCall(.nodeInfo), now: now)
        let sent = requests(second.step) + requests(third.step)
        #expect(sent.map(\.method) == ["container.list", "node.info"])  // in flight together
        conversation.forget(third.number)
        let event = RPCRequest(id: nil, method: MethodName.eventsEvent.rawValue, params: ["k": 1])
        _ = conversation.receive(Array(RPCFrame.encode(event).dropLast()), now: now)
        _ = receive(&conversation, RPCResponse(id: sent[1].id!, outcome: .result(["late": true])))
        _ = receive(&conversation, RPCResponse(id: sent[0].id!, outcome: .result(["list": 2])))
        _ = receive(&conversation, RPCResponse(id: held[0].id!, outcome: .result(["pong": true])))
        let answers = conversation.takeAnswers()
        #expect(answers.map(\.number) == [second.number, early.number])
        #expect(answers.map { $0.response.result } == [["list": 2], ["pong": true]])
        #expect(conversation.takeAnswers().isEmpty)
        #expect(conversation.takeNotifications().map(\.method) == [MethodName.eventsEvent.rawValue])
        #expect(conversation.failure == nil)
        guard case .finished(.failure) = conversation.fail(ClientError.closedByNode(unix)) else {
            Issue.record("failing an ongoing conversation did not finish it")
            return
        }
        #expect((conversation.failure as? ClientError)?.code == .closed)
    }

    @Test func tcpWithASecretPipelinesChallengeAndAHarmlessCall() throws {
        let secret = testSecret
        var node = AuthSession(requiring: secret)
        var conversation = Conversation(address: tcp, options: .plainTCP(secret: secret), calls: [PlannedCall(.containerList)])
        let opening = requests(conversation.start(now: now))
        #expect(opening.map(\.method) == ["node.hello", "auth.challenge"])
        let hello = HelloResult(protocol: 1, node: NodeIdentity(version: "t", hostname: "h"), capabilities: [], authRequired: true)
        if case .send = receive(&conversation, try answer(opening[0], hello)) { Issue.record("hello's answer alone must not send anything") }
        #expect(!conversation.sentEverything)
        let proofAndCall = requests(receive(&conversation, try answer(opening[1], try node.challenge())))
        #expect(proofAndCall.map(\.method) == ["auth.response", "container.list"])
        #expect(conversation.sentEverything)  // the writing side can be shut with the proof
        let verdict = try node.respond(try proofAndCall[0].decodeParams(AuthResponseParams.self))
        if case .send = receive(&conversation, try answer(proofAndCall[0], verdict)) { Issue.record("nothing is left to send") }
        let done = receive(&conversation, try answer(proofAndCall[1], ContainerListResult(containers: [])))
        guard case .finished(.success(let answers)) = done else {
            Issue.record("expected success, got \(done)")
            return
        }
        #expect(answers.count == 1 && answers[0].call.method == "container.list")
    }

    /// berthd answers the challenge inline and hello as a job, so hello's answer comes second.
    @Test func helloAnsweredAfterTheChallengeStillFinishes() throws {
        var node = AuthSession(requiring: testSecret)
        var conversation = Conversation(address: tcp, options: .plainTCP(secret: testSecret), calls: [PlannedCall(.containerList)])
        let opening = requests(conversation.start(now: now))
        let proofAndCall = requests(receive(&conversation, try answer(opening[1], try node.challenge())))
        #expect(proofAndCall.map(\.method) == ["auth.response", "container.list"])
        #expect(!conversation.sentEverything)  // hello is still unanswered
        let hello = HelloResult(protocol: 1, node: NodeIdentity(version: "t", hostname: "h"), capabilities: [], authRequired: true)
        if case .send = receive(&conversation, try answer(opening[0], hello)) { Issue.record("nothing is left to send") }
        #expect(conversation.sentEverything)
        let verdict = try node.respond(try proofAndCall[0].decodeParams(AuthResponseParams.self))
        _ = receive(&conversation, try answer(proofAndCall[0], verdict))
        guard case .finished(.success(let answers)) = receive(&conversation, try answer(proofAndCall[1], ContainerListResult(containers: []))) else {
            Issue.record("expected success")
            return
        }
        #expect(answers.count == 1)
    }

    @Test func aCallThatChangesSomethingWaitsForTheNodesProof() throws {
        var node = AuthSession(requiring: testSecret)
        var conversation = Conversation(address: tcp, options: .plainTCP(secret: testSecret),
                                        calls: [PlannedCall(.containerEnvSet, params: ["id": "web", "environment": [["name": "K", "value": "secret"]]])])
        let opening = requests(conversation.start(now: now))
        let hello = HelloResult(protocol: 1, node: NodeIdentity(version: "t", hostname: "h"), capabilities: [], authRequired: true)
        _ = receive(&conversation, try answer(opening[0], hello))
        let proof = requests(receive(&conversation, try answer(opening[1], try node.challenge())))
        #expect(proof.map(\.method) == ["auth.response"])
        let verdict = try node.respond(try proof[0].decodeParams(AuthResponseParams.self))
        let call = requests(receive(&conversation, try answer(proof[0], verdict)))
        #expect(call.map(\.method) == ["container.env.set"])
    }

    @Test func aForgedProofFailsEvenWhenTheCallWasAnswered() throws {
        var node = AuthSession(requiring: testSecret)
        var conversation = Conversation(address: tcp, options: .plainTCP(secret: testSecret), calls: [PlannedCall(.containerList)])
        let opening = requests(conversation.start(now: now))
        let hello = HelloResult(protocol: 1, node: NodeIdentity(version: "t", hostname: "h"), capabilities: [], authRequired: true)
        _ = receive(&conversation, try answer(opening[0], hello))
        let proofAndCall = requests(receive(&conversation, try answer(opening[1], try node.challenge())))
        var verdict = try node.respond(try proofAndCall[0].decodeParams(AuthResponseParams.self))
        verdict.proof = String(repeating: "ab", count: 32)
        // The call's answer first (a node may reorder): it must not count before the proof.
        #expect({ if case .wait = receive(&conversation, try! answer(proofAndCall[1], ContainerListResult(containers: []))) { true } else { false } }())
        let done = receive(&conversation, try answer(proofAndCall[0], verdict))
        guard case .finished(.failure(let error as ClientError)) = done else {
            Issue.record("expected an authentication failure, got \(done)")
            return
        }
        #expect(error.code == .authenticationFailed)
    }

    @Test func aTCPNodeThatWantsASecretWeDoNotHave() throws {
        var conversation = Conversation(address: tcp, options: ConnectOptions(), calls: [PlannedCall(.containerList)])
        let opening = requests(conversation.start(now: now))
        #expect(opening.map(\.method) == ["node.hello"])
        let hello = HelloResult(protocol: 1, node: NodeIdentity(version: "t", hostname: "h"), capabilities: [], authRequired: true)
        guard case .finished(.failure(let error as ClientError)) = receive(&conversation, try answer(opening[0], hello)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .authenticationFailed && error.message.contains("--secret-file"))
    }

    @Test func strangersAndNotificationsAreIgnoredAndAnUntiedErrorEndsIt() throws {
        var conversation = Conversation(address: unix, options: ConnectOptions(), calls: [PlannedCall(.nodePing)])
        #expect(requests(conversation.start(now: now)).map(\.method) == ["node.ping"])
        #expect({ if case .wait = receive(&conversation, RPCResponse(id: .int(99), outcome: .result(.null))) { true } else { false } }())
        let notification = Array(#"{"jsonrpc":"2.0","method":"events.event","params":{}}"#.utf8)
        #expect({ if case .wait = notification.withUnsafeBufferPointer({ conversation.receive($0, now: now) }) { true } else { false } }())
        #expect(conversation.deadline() != nil)  // the ping is still awaited
        let untied = RPCResponse(id: .null, outcome: .error(RPCError(.parseError, "bad line")))
        guard case .finished(.failure(let error as ClientError)) = receive(&conversation, untied) else {
            Issue.record("an error tied to no request must end the conversation")
            return
        }
        #expect(error.code == .protocolViolation)
    }

    @Test func deadlinesFollowWhatIsAwaited() throws {
        var options = ConnectOptions.plainTCP(secret: testSecret)
        options.connectTimeout = .seconds(3)
        options.callTimeout = .seconds(7)
        var conversation = Conversation(address: tcp, options: options, calls: [PlannedCall(.containerStart, params: ["id": "a"])])
        let opening = requests(conversation.start(now: now))
        #expect(conversation.deadline() == now + .seconds(3))
        #expect(conversation.lateError().message.contains("no answer to node.hello within 3s"))
        var node = AuthSession(requiring: testSecret)
        let hello = HelloResult(protocol: 1, node: NodeIdentity(version: "t", hostname: "h"), capabilities: [], authRequired: true)
        _ = receive(&conversation, try answer(opening[0], hello))
        let proof = requests(receive(&conversation, try answer(opening[1], try node.challenge())))
        let later = now + .seconds(1)
        let call = requests(line(try answer(proof[0], try node.respond(try proof[0].decodeParams(AuthResponseParams.self))))
            .withUnsafeBufferPointer { conversation.receive($0, now: later) })
        #expect(call.map(\.method) == ["container.start"])
        #expect(conversation.deadline() == later + .seconds(7))
        #expect(conversation.lateError().message.contains("no answer to container.start within 7s"))
    }
}

extension ConnectOptions {
    /// These tests drive the plain challenge-response (`berth --tcp-plain`); ChannelTests and
    /// Tests/e2e/test_channel.py cover the channel.
    static func plainTCP(secret: AuthSecret?) -> ConnectOptions {
        var options = ConnectOptions(secret: secret)
        options.tcpPlain = true
        return options
    }
}
