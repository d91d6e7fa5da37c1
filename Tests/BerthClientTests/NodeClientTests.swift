import BerthProtocol
import BerthSystem
import Testing
@testable import BerthClient

/// Echo handler that answers `slow.echo` after `delay` ms (so later calls overtake it), `fail` with
/// not_found, `hang` never (no reply at all), and ping.
let scriptedHandler: FakeNode.Handler = { request in
    guard let id = request.id else { return nil }
    switch request.method {
    case "slow.echo":
        let delay = request.params?["delay"]?.intValue ?? 0
        try? await Task.sleep(for: .milliseconds(delay))
        return .success(id: id, result: .object(["value": request.params?["value"] ?? .null]))
    case "fail":
        return .failure(id: id, error: RPCError(.notFound, "no container \"ghost\""))
    case "hang":
        try? await Task.sleep(for: .seconds(60))
        return nil
    default:
        return await pingHandler(request)
    }
}

struct EchoParams: Codable, Sendable {
    var value: Int
    var delay: Int
    enum CodingKeys: String, CodingKey { case value, delay }
}

struct EchoResult: Codable, Sendable {
    var value: Int
    enum CodingKeys: String, CodingKey { case value }
}

@Suite struct NodeClientTests {
    @Test func pingOverAUnixSocket() async throws {
        try await FakeNode.with(handler: scriptedHandler) { address in
            let pong = try await NodeClient.withConnection(to: address) { client in
                try await client.call(MethodName.nodePing.rawValue, params: ["echo": JSONValue.string("hi")], as: PingResult.self)
            }
            #expect(pong.pong && pong.echo == "hi")
        }
    }

    @Test func pipelinedCallsAreMatchedByIDWhenAnswersComeOutOfOrder() async throws {
        try await FakeNode.with(handler: scriptedHandler) { address in
            let values = try await NodeClient.withConnection(to: address) { client in
                try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                    for k in 0..<40 {
                        // Earlier calls wait longer, so the node answers in reverse order.
                        group.addTask {
                            let r: EchoResult = try await client.call("slow.echo", params: EchoParams(value: k * 7, delay: (40 - k) * 5))
                            return (k, r.value)
                        }
                    }
                    var results: [Int: Int] = [:]
                    for try await (k, v) in group { results[k] = v }
                    return results
                }
            }
            #expect(values.count == 40)
            for (k, v) in values { #expect(v == k * 7) }
        }
    }

    @Test func nodeErrorsArriveAsRPCErrorsWithTheirKind() async throws {
        try await FakeNode.with(handler: scriptedHandler) { address in
            try await NodeClient.withConnection(to: address) { client in
                await #expect {
                    let _: JSONValue = try await client.call("fail")
                } throws: { error in
                    (error as? RPCError)?.kind == .notFound && (error as? RPCError)?.message == "no container \"ghost\""
                }
                await #expect {
                    let _: JSONValue = try await client.call("no.such.method")
                } throws: { ($0 as? RPCError)?.kind == .methodNotFound }
                // The connection is still good afterwards.
                let pong: PingResult = try await client.call(MethodName.nodePing.rawValue)
                #expect(pong.pong)
            }
        }
    }

    @Test func aCallTimesOutAndTheConnectionStaysUsable() async throws {
        try await FakeNode.with(handler: scriptedHandler) { address in
            try await NodeClient.withConnection(to: address) { client in
                let clock = ContinuousClock()
                let start = clock.now
                await #expect {
                    let _: JSONValue = try await client.call("hang", timeout: .milliseconds(200))
                } throws: { ($0 as? ClientError)?.code == .timedOut }
                // Not before its deadline; `.timedOut` says the deadline, not the node, ended it.
                #expect(clock.now - start >= .milliseconds(200))
                let pong: PingResult = try await client.call(MethodName.nodePing.rawValue, timeout: .seconds(5))
                #expect(pong.pong)
            }
        }
    }

    @Test func theNodeClosingFailsPendingCalls() async throws {
        // A raw node that accepts, reads one line and closes.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/closer.sock"
        let listener = try Listener.unix(path: path, mode: 0o600)
        defer { listener.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let connection = try await listener.accept()
                _ = try await connection.read()
                connection.close()
            }
            try await NodeClient.withConnection(to: .unix(path: path)) { client in
                await #expect {
                    let _: JSONValue = try await client.call("anything", timeout: .seconds(10))
                } throws: { ($0 as? ClientError)?.code == .closed }
                await #expect {
                    let _: JSONValue = try await client.call("after.close", timeout: .seconds(10))
                } throws: { ($0 as? ClientError)?.code == .closed }
            }
            try await group.waitForAll()
        }
    }

    @Test func unreachableNodesAreReportedAsSuch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        await #expect {
            try await NodeClient.withConnection(to: .unix(path: directory.path + "/absent.sock")) { _ in }
        } throws: { ($0 as? ClientError)?.code == .unreachable }
    }
}
