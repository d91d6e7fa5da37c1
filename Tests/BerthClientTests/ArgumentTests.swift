import BerthProtocol
import BerthSystem
import Testing
import BerthAgent
@testable import BerthClient

/// Runs the CLI in-process with captured output, with every command the `berth` executable knows.
func runCLI(_ arguments: [String], environment: [String: String] = [:]) async -> (code: ExitCode, out: String, err: String) {
    let output = CommandOutput.capturing()
    let code = await BerthCLI.main(arguments, context: CommandContext(environment: environment, output: output, commands: BerthAgentCLI.commands))
    return (code, output.standardOutput, output.standardError)
}

@Suite struct ArgumentTests {
    @Test(arguments: [
        ["ping", "extra"], ["ping", "--bogus"], ["ping", "--timeout", "0"], ["ping", "--timeout"], ["ping", "--json=yes"],
        ["ping", "--node", "http://x"],
        ["node", "info", "x"], ["node"],
        ["install"], ["install", "busybox"], ["install", "busybox", "web", "extra"], ["install", "busybox", "bad id"],
        ["install", "busybox", "web", "-p", "0:80"], ["install", "busybox", "web", "-p", "80:80", "-p", "81:80"],
        ["install", "busybox", "web", "-p", "x"], ["install", "busybox", "web", "-e", "NOEQUALS"],
        ["install", "busybox", "web", "-e", "1BAD=x"], ["install", "busybox", "web", "-v", "rel:/data"],
        ["install", "busybox", "web", "-v", "/a:/b:rx"], ["install", "busybox", "web", "-v", "/a/../etc:/b"],
        ["install", "busybox", "web", "-v", "/a/:/b"], ["install", "busybox", "web", "-v", "/a:/"], ["install", "a//b", "web"],
        ["install", "busybox", "web", "--env-file", "/nonexistent/env"], ["install", "busybox", "web", "--"],
        ["install", "busybox", "web", "--start=yes"], ["install", "busybox", "web", "--slice", "a", "--slice", "b"],
        ["install", "-bad", "web"], ["install", "busybox", "web", "--request-id", String(repeating: "r", count: 129)],
        ["start"], ["start", "ok", "no/bad id"], ["start", "ok", "/web"], ["start", "h 1/web"],
        ["deploy"], ["deploy", "a.json", "b.json"], ["deploy", "a.json", "--plan=yes"], ["deploy", "a.json", "--state"], ["stop"], ["stop", "web", "--stop-timeout", "5"],
        ["stop", "web", "--wait", "--stop-timeout", "-1"], ["restart"], ["rm"], ["rm", "--all"],
        ["ps", "web"], ["ps", "--all=1"], ["status"], ["status", "a", "b"], ["ports"], ["ports", "a", "b"],
        ["env"], ["env", "web", "--set", "NOPE"], ["env", "web", "--unset", "1X"], ["env", "web", "--set", "A=1", "--unset", "A"],
        ["bridge", "x"], ["bridge", "--node", "unix:/a", "--node", "unix:/b"], ["bridge", "--json"],
        ["events", "x"], ["events", "--since", "nodot"], ["events", "--since", "a.b"], ["events", "--since", "a.-1"],
        ["events", "--since", "e.1", "--node", "unix:/a", "--node", "unix:/b"], ["events", "--heartbeat", "0"],
        ["events", "--follow=1"],
        ["nonsense"], [],
    ])
    func usageErrorsExit64WithTheUsageLine(_ arguments: [String]) async {
        let result = await runCLI(arguments)
        #expect(result.code == .usage, "\(arguments): \(result.err)")
        #expect(result.err.contains("USAGE: berth"), "\(arguments): \(result.err)")
        #expect(result.out.isEmpty)
    }

    @Test func everyCommandHasHelp() async {
        for command in BerthAgentCLI.commands {
            let result = await runCLI(command.name.split(separator: " ").map(String.init) + ["--help"])
            #expect(result.code == .success)
            #expect(result.out.contains("USAGE: \(command.usage)"))
            #expect(result.out.contains("EXIT STATUS"))
            #expect(result.out.contains(command.abstract))
        }
        let top = await runCLI(["--help"])
        #expect(top.code == .success)
        for command in BerthAgentCLI.commands { #expect(top.out.contains(command.name)) }
    }

    /// A command over many nodes reads each secret file once: the second node's options come from
    /// the first read even after the file is gone; an alias's own file is read on its own.
    @Test func eachSecretFileIsReadOncePerCommand() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let shared = directory.path + "/shared", own = directory.path + "/own"
        try FileSystem.writeAtomically(Array(String(repeating: "s", count: 32).utf8), to: shared)
        try FileSystem.writeAtomically(Array(String(repeating: "o", count: 32).utf8), to: own)
        var options = GlobalOptions()
        options.secretFile = shared
        let one = NodeTarget(name: "a", address: .tcp(host: "198.18.0.1", port: 7420))
        let two = NodeTarget(name: "b", address: .tcp(host: "198.18.0.2", port: 7420))
        let aliased = NodeTarget(name: "c", address: .tcp(host: "198.18.0.3", port: 7420), secretFile: own)
        var read: [String?: ConnectOptions] = [:]
        let first = try options.connectOptions(for: one, memo: &read)
        try FileSystem.remove(shared)
        let second = try options.connectOptions(for: two, memo: &read)
        #expect(first.secret != nil && second.secret == first.secret)
        let third = try options.connectOptions(for: aliased, memo: &read)
        #expect(third.secret != nil && third.secret != first.secret)
        // Another command (a new memo) reads the file again, and now it is gone.
        #expect(throws: CommandFailure.self) {
            var again: [String?: ConnectOptions] = [:]
            _ = try options.connectOptions(for: two, memo: &again)
        }
    }

    @Test func installParsesEveryOption() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let envFile = directory.path + "/env"
        try FileSystem.writeAtomically(Array("A=from-file\nB=\"quoted value\"\n".utf8), to: envFile)
        let command = try InstallCommand(arguments: [
            "localhost/httpd", "web", "-p", "8080:0", "--port=9090:40001", "-p53", "--env-file", envFile, "-e", "A=override",
            "--env", "C=$HOME %i", "--env-source", "https://cfg/x", "-v", "/srv/data:/data:ro", "--volume", "/a:/b",
            "--slice", "berth-small.slice", "--socket-activated", "--isolate", "--start", "--request-id", "r-1",
            "--node", "unix:/tmp/x.sock", "--json", "--", "/bin/httpd", "-f", "--not-an-option",
        ])
        try command.validate()
        let p = command.params
        #expect(p.image == "localhost/httpd" && p.id == "web")
        #expect(p.ports == [PortMapping(internal: 8080, external: 0), PortMapping(internal: 9090, external: 40001), PortMapping(internal: 53, external: 0)])
        #expect(p.environment == [EnvironmentEntry(name: "A", value: "override"), EnvironmentEntry(name: "B", value: "quoted value"),
                                  EnvironmentEntry(name: "C", value: "$HOME %i")])
        #expect(p.environmentSource == "https://cfg/x")
        #expect(p.volumes == [VolumeMount(hostPath: "/srv/data", containerPath: "/data", readOnly: true), VolumeMount(hostPath: "/a", containerPath: "/b")])
        #expect(p.slice == "berth-small.slice" && p.socketActivated == true && p.isolate == true && p.start == true)
        #expect(p.requestId == "r-1")
        #expect(p.command == ["/bin/httpd", "-f", "--not-an-option"])
        #expect(command.arguments.options.nodes == ["unix:/tmp/x.sock"] && command.arguments.options.json)
    }

    @Test func installWithoutOptionsSendsOnlyWhatWasGiven() throws {
        let command = try InstallCommand(arguments: ["busybox", "web"])
        try command.validate()
        let wire = encodeParams(command.params)
        #expect(wire == .object(["id": "web", "image": "busybox"]))
    }

    @Test func installRestartAndLimits() throws {
        let command = try InstallCommand(arguments: [
            "busybox", "web", "--restart", "on-failure", "--restart-delay", "0.5", "--restart-burst", "3", "--restart-interval", "60",
            "--memory", "256m", "--memory-swap", "1G", "--cpus", "1.25", "--pids", "100",
        ])
        try command.validate()
        #expect(encodeParams(command.params) == .object([
            "id": "web", "image": "busybox", "restart": "on-failure", "restartDelaySeconds": 0.5, "restartBurst": 3,
            "restartIntervalSeconds": 60, "memory": .int(256 << 20), "memorySwap": .int(1 << 30), "cpus": 1.25, "pids": 100,
        ]))
        #expect(ByteSize.parse("512") == 512 && ByteSize.parse("1b") == 1 && ByteSize.parse("2k") == 2048 && ByteSize.parse("3M") == 3 << 20)
        for bad in ["", "m", "1.5g", "-1m", "1t", "9999999999999g", " 1m"] { #expect(ByteSize.parse(bad) == nil, "\(bad)") }
        // Each refusal names the flag, with the node's own rule.
        for (flags, named) in [(["--restart", "sometimes"], "--restart"), (["--restart-delay", "x"], "--restart-delay"),
                               (["--restart-delay", "0.0001"], "--restart-delay"), (["--restart-burst", "0"], "--restart-burst"),
                               (["--restart-interval", "1.5"], "--restart-interval"), (["--memory", "1m"], "--memory"),
                               (["--memory-swap", "64m"], "--memory-swap"), (["--memory", "64m", "--memory-swap", "32m"], "--memory-swap"),
                               (["--cpus", "0"], "--cpus"), (["--pids", "1"], "--pids")] {
            #expect("\(flags)") { _ = try InstallCommand(arguments: ["busybox", "web"] + flags) } throws: { "\($0)".contains(named) }
        }
    }

    @Test func installNetwork() throws {
        let command = try InstallCommand(arguments: ["busybox", "web", "--network", "berth-dual"])
        try command.validate()
        #expect(encodeParams(command.params) == .object(["id": "web", "image": "busybox", "network": "berth-dual"]))
        for bad in ["host", "container:db", "a b"] {
            #expect(throws: UsageError.self, "\(bad)") { _ = try InstallCommand(arguments: ["busybox", "web", "--network", bad]) }
        }
    }

    @Test func stopAndEnvOptions() throws {
        let stop = try StopCommand(arguments: ["a", "b", "--wait", "--stop-timeout", "20"])
        try stop.validate()
        #expect(stop.arguments.ids == ["a", "b"] && stop.wait && stop.stopTimeout == 20)
        let env = try EnvCommand(arguments: ["web", "--set", "A=1", "-e", "B= spaced ", "--unset", "C"])
        try env.validate()
        #expect(env.set == [EnvironmentEntry(name: "A", value: "1"), EnvironmentEntry(name: "B", value: "spaced")])
        #expect(env.unset == ["C"])
        let ps = try PsCommand(arguments: ["-a", "--node", "unix:/a", "--node", "tcp://[::1]:1", "--timeout", "2.5"])
        try ps.validate()
        #expect(ps.all && ps.options.nodes.count == 2 && ps.options.timeoutSeconds == 2.5)
    }

    @Test func aMissingSecretFileIsNoInput() async {
        let result = await runCLI(["ping", "--node", "tcp://127.0.0.1:1", "--secret-file", "/nonexistent/secret"])
        #expect(result.code == .noInput)
        #expect(result.err.contains("/nonexistent/secret"))
    }
}
