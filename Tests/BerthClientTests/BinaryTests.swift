#if canImport(Glibc)
import Glibc
#endif
import BerthProtocol
import BerthSystem
import Testing
@testable import BerthClient

/// The built `berth` executable, beside the test bundle in the build directory (`swift build
/// --build-tests` and `swift test` build it).
func berthBinary() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    try #require(n > 0)
    let exe = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let directory = String(exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)])
    let path = directory + "/berth"
    try #require(FileSystem.exists(path), "build the berth product first: \(path) is missing")
    return path
}

func runBerth(_ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:]) async throws -> ProcessResult {
    // Under a sanitizer the child is sanitized too: it gets the run's options (TSan's suppressions of
    // toolchain false positives), or it reported one of them and exited 66.
    var environment = environment
    for name in ["TSAN_OPTIONS", "ASAN_OPTIONS"] where environment[name] == nil {
        environment[name] = ProcessRequest.inheritedEnvironment[name]
    }
    return try await ProcessRunner.run(ProcessRequest(try berthBinary(), arguments, environment: environment, standardInput: stdin,
                                                      timeout: .seconds(20)))
}

extension ProcessStatus {
    var exitCode: Int32? {
        if case .exited(let code) = self { return code }
        return nil
    }
}

@Suite struct BinaryTests {
    @Test func helpExits0AndListsTheCommands() async throws {
        let result = try await runBerth(["--help"])
        #expect(result.status.exitCode == 0)
        let text = String(decoding: result.stdout, as: UTF8.self)
        #expect(text.contains("USAGE: berth COMMAND"))
        #expect(text.contains("install") && text.contains("bridge") && text.contains("EXIT STATUS"))
    }

    @Test func aUsageErrorExits64WithTheUsageLine() async throws {
        let result = try await runBerth(["install", "busybox"])
        #expect(result.status.exitCode == 64)
        let err = String(decoding: result.stderr, as: UTF8.self)
        #expect(err.contains("missing the container ID") && err.contains("USAGE: berth install IMAGE ID"))
        #expect(result.stdout.isEmpty)
    }

    @Test func anUnreachableNodeExits2() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await runBerth(["ping"], environment: ["BERTH_NODE": "unix:\(directory.path)/none.sock"])
        #expect(result.status.exitCode == 2)
        #expect(String(decoding: result.stderr, as: UTF8.self).contains("cannot reach unix:\(directory.path)/none.sock"))
    }

    @Test func pingAgainstAFakeNode() async throws {
        try await FakeNode.with(handler: pingHandler) { address in
            let result = try await runBerth(["ping", "--node", address.description])
            #expect(result.status.exitCode == 0)
            #expect(String(decoding: result.stdout, as: UTF8.self).hasPrefix("\(address): pong in "))
        }
    }

    @Test func bridgeCarriesLinesBothWaysAndEndsWhenTheNodeCloses() async throws {
        try await FakeNode.with(handler: pingHandler) { address in
            let input = RPCFrame.encode(RPCRequest(id: 1, method: "node.ping", params: ["echo": "a"]))
                + RPCFrame.encode(RPCRequest(id: 2, method: "node.ping", params: ["echo": "b"]))
            // End of input half-closes; the fake node then closes, which ends the bridge.
            let result = try await runBerth(["bridge", "--node", address.description], stdin: input)
            #expect(result.status.exitCode == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
            var framer = LineFramer()
            let lines = try framer.feed(result.stdout)
            let responses = try lines.map { line -> RPCResponse in
                guard case .response(let r) = try RPCFrame.decodeFromNode(line) else { throw RPCError(.internal, "not a response") }
                return r
            }
            #expect(Set(responses.map(\.id)) == [1, 2])
            #expect(responses.first { $0.id == 1 }?.result?["echo"] == "a")
        }
    }
}

@Suite struct SSHTransportTests {
    @Test func sshNodesRunBerthBridgeThroughTheSSHCommand() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let berth = try berthBinary()
        try await FakeNode.with(handler: pingHandler) { address in
            guard case .unix(let socket) = address else { throw ClientError(.unsupported, "expected a unix address") }
            // A stand-in for ssh: records its argv, then does what the remote side would.
            let script = directory.path + "/fake-ssh"
            let text = "#!/bin/sh\nprintf '%s\\n' \"$@\" > '\(directory.path)/argv'\nexec '\(berth)' bridge --node 'unix:\(socket)'\n"
            try FileSystem.writeAtomically(Array(text.utf8), to: script, mode: 0o755)
            var options = ConnectOptions()
            options.sshCommand = script
            // Tests running alongside spawn children too; one caught between its clone and its exec
            // still holds a copy of the script's write descriptor, and exec of the script then fails
            // with ETXTBSY. The window is microseconds: retry rather than fail.
            var pong: PingResult?
            for attempt in 1...5 where pong == nil {
                do {
                    pong = try await NodeClient.withConnection(to: .ssh(user: "core", host: "node-a", port: 2222), options: options) { client in
                        try await client.call(MethodName.nodePing.rawValue, params: ["echo": JSONValue.string("over ssh")], as: PingResult.self)
                    }
                } catch let error as ClientError where error.message.contains("Text file busy") && attempt < 5 {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(pong?.echo == "over ssh")
            let argv = String(decoding: try FileSystem.read(directory.path + "/argv"), as: UTF8.self)
            #expect(argv.split(separator: "\n") == ["-T", "-o", "BatchMode=yes", "-p", "2222", "-l", "core", "--", "node-a", "berth", "bridge"])
        }
    }

    @Test func aMissingSSHCommandIsUnreachable() async throws {
        var options = ConnectOptions()
        options.sshCommand = "/nonexistent/ssh"
        await #expect {
            try await NodeClient.withConnection(to: .ssh(user: nil, host: "h", port: nil), options: options) { _ in }
        } throws: { ($0 as? ClientError)?.code == .unreachable }
    }
}
