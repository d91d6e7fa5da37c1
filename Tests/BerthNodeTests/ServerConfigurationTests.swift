import Testing
@testable import BerthNode
import BerthSystem

private func parse(_ arguments: [String], files: [String: String] = [:]) throws(ConfigurationError) -> NodeCommand {
    try NodeConfiguration.parse(arguments: arguments) { files[$0] }
}

private func configuration(_ arguments: [String], files: [String: String] = [:]) throws -> NodeConfiguration {
    guard case .run(let c) = try parse(arguments, files: files) else {
        Issue.record("expected a run command for \(arguments)")
        return NodeConfiguration()
    }
    return c
}

private func failure(_ arguments: [String], files: [String: String] = [:]) -> String? {
    do throws(ConfigurationError) {
        _ = try parse(arguments, files: files)
        return nil
    } catch {
        return error.message
    }
}

@Suite struct ServerConfigurationTests {
    @Test func defaultsListenOnTheRunDirectorySocket() throws {
        let c = try configuration([])
        #expect(c.effectiveListen == [.unix(path: "/run/berth/berthd.sock")])
        #expect(c.stateDirectory == "/var/lib/berth")
        #expect(c.maxConnections == 1024 && c.maxLineBytes == 1 << 20 && c.idleTimeoutSeconds == 300)
        #expect(c.effectiveMaxTCPConnections == 768 && c.maxUnauthenticated == 64)
        #expect(c.maxConnectionsPerAddress == 32 && c.authTimeoutSeconds == 5)
        #expect(c.manager == nil && c.runtime == nil && c.logLevel == .info)
        #expect(try configuration(["--run-dir", "/tmp/r"]).effectiveListen == [.unix(path: "/tmp/r/berthd.sock")])
    }

    @Test func listenIsRepeatableForUnixIPv4AndIPv6() throws {
        let c = try configuration(["--listen", "unix:/tmp/a.sock", "--listen=tcp://127.0.0.1:7450",
                                   "--listen", "tcp://[::1]:7451", "--secret-file", "/etc/berth/secret"])
        #expect(c.listen.count == 3)
        #expect(c.listen[0] == .unix(path: "/tmp/a.sock"))
        #expect(c.listen[1] == .tcp(try SocketAddress(parsing: "127.0.0.1:7450")))
        #expect(c.listen[2] == .tcp(try SocketAddress(parsing: "[::1]:7451")))
        #expect(c.listen.map(\.description) == ["unix:/tmp/a.sock", "tcp://127.0.0.1:7450", "tcp://[::1]:7451"])
    }

    @Test func badListenAddressesAreNamed() {
        #expect(failure(["--listen", "unix:relative.sock"])?.contains("absolute") == true)
        #expect(failure(["--listen", "tcp://localhost:80", "--secret-file", "/s"])?.contains("tcp://localhost:80") == true)
        #expect(failure(["--listen", "tcp://::1:80", "--secret-file", "/s"]) != nil)
        #expect(failure(["--listen", "tcp://127.0.0.1:99999", "--secret-file", "/s"]) != nil)
        #expect(failure(["--listen", "tcp:///run/x.sock", "--secret-file", "/s"])?.contains("not a path") == true)
        #expect(failure(["--listen", "http://x"])?.contains("expected unix:PATH or tcp://ADDR:PORT") == true)
        #expect(failure(["--listen", "unix:/" + String(repeating: "x", count: 200)])?.contains("longer than") == true)
    }

    @Test func tcpNeedsASecretFile() {
        let message = failure(["--listen", "tcp://127.0.0.1:7450"])
        #expect(message?.contains("--secret-file") == true)
    }

    @Test func valuesAreValidated() throws {
        #expect(failure(["--max-connections", "0"])?.contains("--max-connections") == true)
        #expect(failure(["--idle-timeout", "ten"])?.contains("--idle-timeout") == true)
        #expect(failure(["--manager", "systemd"])?.contains("system|user|embedded|auto") == true)
        #expect(failure(["--runtime", "lxc"])?.contains("podman|docker|auto") == true)
        #expect(failure(["--port-range", "9000-8000"])?.contains("--port-range") == true)
        #expect(failure(["--state-dir", "var/lib"])?.contains("absolute") == true)
        #expect(failure(["--group", "a b"])?.contains("--group") == true)
        #expect(failure(["--bogus", "1"]) == "unknown option '--bogus'")
        #expect(failure(["--manager"]) == "--manager needs a value")
        #expect(failure(["stray"])?.contains("unexpected argument") == true)
        #expect(try configuration(["--port-range", "20000-20999"]).portRange == 20000...20999)
        #expect(try configuration(["--log-level", "debug"]).logLevel == .debug)
    }

    @Test func tcpNeverTakesEverySlot() throws {
        let tcp = ["--listen", "tcp://127.0.0.1:7450", "--secret-file", "/s"]
        #expect(try configuration(["--max-connections", "100"]).effectiveMaxTCPConnections == 75)
        #expect(try configuration(["--max-tcp-connections", "99", "--max-connections", "100"]).effectiveMaxTCPConnections == 99)
        #expect(failure(["--max-tcp-connections", "100", "--max-connections", "100"])?.contains("must be less than --max-connections") == true)
        #expect(failure(["--max-connections", "8", "--max-tcp-connections", "9"])?.contains("Unix socket keeps slots") == true)
        #expect(failure(tcp + ["--max-connections", "1"])?.contains("leaves no connection for TCP") == true)
        #expect(try configuration(["--max-connections", "1"]).effectiveMaxTCPConnections == 0)  // no TCP listener: fine
        #expect(failure(["--max-unauthenticated", "0"])?.contains("--max-unauthenticated") == true)
        #expect(failure(["--max-connections-per-address", "-1"])?.contains("--max-connections-per-address") == true)
        #expect(failure(["--auth-timeout", "3601"])?.contains("--auth-timeout") == true)
        let c = try configuration(["--config", "/c"], files: ["/c": "auth-timeout = 2\nmax-unauthenticated = 8\nmax-connections-per-address = 3\n"])
        #expect(c.authTimeoutSeconds == 2 && c.maxUnauthenticated == 8 && c.maxConnectionsPerAddress == 3)
    }

    @Test func helpAndVersionWin() throws {
        #expect(try parse(["--listen", "bad", "--help"]) == .help)
        #expect(try parse(["--help"]) == .help)
        #expect(try parse(["-h"]) == .help)
        #expect(try parse(["--version"]) == .version)
        for key in NodeConfiguration.keys + ["config", "help", "version"] {
            #expect(NodeHelp.text.contains("--" + key), "--help does not mention --\(key)")
        }
    }

    @Test func theConfigFileIsReadAndFlagsOverrideIt() throws {
        let file = """
        # berthd.conf
        listen = unix:/tmp/file.sock
        listen = unix:/tmp/file2.sock
          max-line-bytes = 4096
        manager = user\t
        """
        let fromFile = try configuration(["--config", "/etc/x.conf"], files: ["/etc/x.conf": file])
        #expect(fromFile.listen == [.unix(path: "/tmp/file.sock"), .unix(path: "/tmp/file2.sock")])
        #expect(fromFile.maxLineBytes == 4096 && fromFile.manager == .user && fromFile.configFile == "/etc/x.conf")
        let overridden = try configuration(["--config", "/etc/x.conf", "--manager", "system", "--listen", "unix:/tmp/flag.sock"],
                                           files: ["/etc/x.conf": file])
        #expect(overridden.manager == .system)
        #expect(overridden.listen == [.unix(path: "/tmp/flag.sock")])
        let auto = try configuration(["--config", "/etc/x.conf", "--manager", "auto", "--runtime", "auto"],
                                     files: ["/etc/x.conf": "manager = user\nruntime = docker\n"])
        #expect(auto.manager == nil && auto.runtime == nil, "auto on the command line undoes the file's choice")
        #expect(overridden.maxLineBytes == 4096)
    }

    @Test func theDefaultConfigFileIsOptionalAnExplicitOneIsNot() throws {
        #expect(try configuration([]).configFile == nil)
        let c = try configuration([], files: [NodeConfiguration.defaultConfigFile: "runtime = docker\n"])
        #expect(c.runtime == .docker && c.configFile == NodeConfiguration.defaultConfigFile)
        #expect(failure(["--config", "/nope.conf"]) == "config file /nope.conf does not exist")
    }

    @Test func configFileErrorsNameFileAndLine() {
        #expect(failure(["--config", "/c"], files: ["/c": "manager = user\nbogus = 1\n"]) == "/c:2: unknown key 'bogus'")
        #expect(failure(["--config", "/c"], files: ["/c": "just words\n"])?.hasPrefix("/c:1: expected 'key = value'") == true)
        #expect(failure(["--config", "/c"], files: ["/c": "idle-timeout = 0\n"])?.hasPrefix("/c:1: --idle-timeout") == true)
    }
}
