import Foundation
import Testing
@testable import BerthCore

/// A python3 http.server on 127.0.0.1 with a few fixed answers, stopped by its PID.
final class TestHTTPServer {
    let process = Process()
    let port: Int
    private let dir: TemporaryDirectory
    private let stdin = Pipe()

    static let script = #"""
import http.server, socketserver, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        p = self.path
        if p == "/env": self.send(200, b"# from the source\nA=from-source\nB='two words'\nC=\"x\\$y\"\n")
        elif p == "/big": self.send(200, b"A=" + b"x" * 100000 + b"\n")
        elif p == "/big-chunked":
            self.send_response(200); self.end_headers()
            for _ in range(100): self.wfile.write(b"#" * 1000 + b"\n")
            self.wfile.flush()
        elif p == "/slow": time.sleep(3600); self.send(200, b"A=late\n")  # only the fetch's timeout ends it
        elif p == "/missing": self.send(404, b"no")
        elif p == "/bad": self.send(200, b"not an env file\n")
        elif p == "/to-file": self.send(302, b"", [("Location", "file:///etc/passwd")])
        elif p == "/to-env": self.send(302, b"", [("Location", "/env")])
        else: self.send(404, b"")
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
import os, threading
# Exit when the test process goes away (its end of stdin closes), even if it crashed.
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
s = S(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""#

    init() throws {
        dir = try TemporaryDirectory("berth-http")
        let path = dir.path + "/server.py"
        try Self.script.write(toFile: path, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-u", path]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = stdin
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        self.port = port ?? 0
        if port == nil {
            stop()
            throw CocoaError(.fileReadCorruptFile)
        }
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        dir.remove()
    }
}

@Suite(.serialized) struct EnvironmentFetcherTests {
    /// A fetcher whose deadline is no test's pass condition: the local server answers at once, but
    /// on a loaded machine (a sanitizer, parallel builds) curl may take longer than the default 10 s
    /// to start and finish. Only `timesOut` tests the deadline, against a server that never answers.
    static let patient = EnvironmentFetcher(timeout: .seconds(300))

    @Test func fetchesParsesAndAppliesExplicitValuesOnTop() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let fetched = try await Self.patient.fetch(server.url("/env"))
        #expect(fetched.variables == [EnvironmentVariable(name: "A", value: "from-source"),
                                      EnvironmentVariable(name: "B", value: "two words"),
                                      EnvironmentVariable(name: "C", value: "x$y")])
        let description = EnvironmentDescription(
            variables: try Environment([EnvironmentVariable(name: "A", value: "explicit"), EnvironmentVariable(name: "D", value: "d")]),
            source: server.url("/to-env"))
        let resolved = try await description.resolve(using: Self.patient)
        #expect(resolved.names == ["A", "B", "C", "D"])
        #expect(resolved["A"] == "explicit")
    }

    func expectFailure(_ kind: EnvironmentFetchError.Kind, _ source: String,
                       fetcher: EnvironmentFetcher = EnvironmentFetcherTests.patient) async {
        do {
            let e = try await fetcher.fetch(source)
            Issue.record("fetched \(e) from \(source)")
        } catch {
            #expect(error.kind == kind, "\(source): \(error)")
            #expect(error.description.contains(source))
        }
    }

    @Test func refusesOtherSchemes() async {
        await expectFailure(.invalidSource, "file:///etc/passwd")
        await expectFailure(.invalidSource, "ftp://127.0.0.1/x")
        await expectFailure(.invalidSource, "not a url")
    }

    @Test func errorsAreClear() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        await expectFailure(.httpStatus, server.url("/missing"))
        await expectFailure(.invalidContent, server.url("/bad"))
        await expectFailure(.invalidSource, server.url("/to-file"))
        do {
            _ = try await Self.patient.fetch(server.url("/to-file"))
        } catch {
            #expect(error.message.contains("file:///etc/passwd"), "the refused redirect is named: \(error.message)")
        }
        await expectFailure(.tooLarge, server.url("/big"), fetcher: EnvironmentFetcher(byteLimit: 50_000, timeout: .seconds(300)))
        await expectFailure(.tooLarge, server.url("/big-chunked"), fetcher: EnvironmentFetcher(byteLimit: 50_000, timeout: .seconds(300)))
        // Under the limit the same bodies pass.
        let big = try await EnvironmentFetcher(byteLimit: 200_000, timeout: .seconds(300)).fetch(server.url("/big-chunked"))
        #expect(big.isEmpty)
    }

    @Test(.timeLimit(.minutes(1))) func timesOut() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let start = ContinuousClock.now
        await expectFailure(.timedOut, server.url("/slow"), fetcher: EnvironmentFetcher(timeout: .milliseconds(700)))
        // Not before its deadline; the end is the timeout's, as the server never answers (no upper bound:
        // a loaded machine may take long to run curl, and `.timedOut` already says who ended it).
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(600), "took \(elapsed)")
    }

    @Test func connectionRefusedIsATransportError() async throws {
        // Bind-and-close yields a port nothing listens on.
        let server = try TestHTTPServer()
        let url = server.url("/env")
        server.stop()
        await expectFailure(.transport, url)
    }
}
