import BerthSystem

/// Fetches an environment source: an http(s) URL whose body is in EnvironmentFile syntax. Unlike
/// geard's Fetch, it refuses every other scheme (redirects included), stops reading past `byteLimit`,
/// gives up after `timeout` for the whole exchange, and reports each failure as a distinct kind.
///
/// The transfer is `curl`'s (run with an argv array and a small environment, never a shell): it
/// brings TLS and proxies without linking Foundation's networking and TLS stack into berthd, which
/// cost about 13 MB of resident memory in a node that fetches a URL rarely, if ever (docs/architecture.md).
public struct EnvironmentFetcher: Sendable {
    public var byteLimit: Int
    public var timeout: Duration
    /// The curl to run: a path, or a name looked up in `PATH`.
    public var curl: String

    /// Defaults: 64 KiB, 10 seconds, `curl` from `PATH`.
    public init(byteLimit: Int = 64 << 10, timeout: Duration = .seconds(10), curl: String = "curl") {
        self.byteLimit = byteLimit
        self.timeout = timeout
        self.curl = curl
    }

    /// Downloads and parses `source`.
    public func fetch(_ source: String) async throws(EnvironmentFetchError) -> Environment {
        do { try EnvironmentDescription.validateSource(source) } catch {
            throw EnvironmentFetchError(.invalidSource, source: source, message: error.reason)
        }
        let body = try await download(source)
        do {
            return try EnvironmentFile.parse(bytes: body)
        } catch {
            throw EnvironmentFetchError(.invalidContent, source: source, message: error.description)
        }
    }

    /// The marker curl writes to standard error after the transfer, then the status and redirect.
    static let marker = "berth-fetch:"
    /// Redirects followed before giving up.
    static let maxRedirects = 10

    /// curl's arguments for one request of `url`, with `seconds` left. `-q` (first) ignores any
    /// .curlrc; `--globoff` keeps `[v6]` hosts and braces literal; `--proto` refuses anything but
    /// http(s). Redirects are not followed by curl: `fetch` checks each target and follows it itself.
    func arguments(for url: String, seconds: Double) -> [String] {
        ["-q", "--silent", "--show-error", "--globoff", "--proto", "=http,https",
         "--max-filesize", String(byteLimit), "--max-time", String(max(seconds, 0.001)),
         "--write-out", "%{stderr}\n\(EnvironmentFetcher.marker)%{http_code} %{redirect_url}\n",
         "--url", url]
    }

    private func download(_ source: String) async throws(EnvironmentFetchError) -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        var url = source
        for _ in 0...EnvironmentFetcher.maxRedirects {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw EnvironmentFetchError(.timedOut, source: source, message: "no complete answer within \(timeout)") }
            switch try await request(url, source: source, left: left) {
            case .body(let bytes): return bytes
            case .redirect(let target):
                let scheme = target.prefix { $0 != ":" }.lowercased()
                guard scheme == "http" || scheme == "https" else {
                    throw EnvironmentFetchError(.invalidSource, source: source, message: "redirected to \(target), which is not an http(s) URL")
                }
                url = target
            }
        }
        throw EnvironmentFetchError(.invalidSource, source: source, message: "more than \(EnvironmentFetcher.maxRedirects) redirects")
    }

    enum Answer {
        case body([UInt8])
        case redirect(String)
    }

    /// One request through curl: the body of a 2xx answer, or where a 3xx points.
    private func request(_ url: String, source: String, left: Duration) async throws(EnvironmentFetchError) -> Answer {
        func failure(_ kind: EnvironmentFetchError.Kind, _ message: String) -> EnvironmentFetchError {
            EnvironmentFetchError(kind, source: source, message: message)
        }
        let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
        let inherited = ProcessRequest.inheritedEnvironment
        let passed = ["PATH", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "all_proxy"]
        let request = ProcessRequest(
            curl, arguments(for: url, seconds: seconds),
            environment: inherited.filter { passed.contains($0.key) },
            outputLimit: byteLimit,
            // curl's --max-time paces the call; this only stops a curl that ignores it.
            timeout: left + .seconds(5), terminationGracePeriod: .seconds(1))
        let result: ProcessResult
        do { result = try await ProcessRunner.run(request) } catch is CancellationError {
            throw failure(.cancelled, "cancelled")
        } catch {
            throw failure(.transport, "could not run curl: \(error)")
        }
        // The last marker line is curl's own write-out; anything before it is curl's error text.
        let lines = result.stderrText.split(separator: "\n", omittingEmptySubsequences: true)
        let report = lines.last(where: { $0.hasPrefix(EnvironmentFetcher.marker) })?.dropFirst(EnvironmentFetcher.marker.count)
        let status = report.flatMap { Int($0.prefix(while: { $0 != " " })) } ?? 0
        let redirect = report.map { String($0.drop(while: { $0 != " " }).dropFirst()) } ?? ""
        let complaint = lines.filter { !$0.hasPrefix(EnvironmentFetcher.marker) }
            .map { line in line.hasPrefix("curl: (") ? String(line.drop(while: { $0 != " " }).dropFirst()) : String(line) }
            .joined(separator: "; ")
        if result.truncated || result.status == .exited(63) {
            throw failure(.tooLarge, "the body exceeds the limit of \(byteLimit) bytes")
        }
        if result.timedOut || result.status == .exited(28) {
            throw failure(.timedOut, "no complete answer within \(timeout)")
        }
        switch result.status {
        case .exited(0) where (200...299).contains(status):
            return .body(result.stdout)
        case .exited(0) where (300...399).contains(status) && !redirect.isEmpty:
            return .redirect(redirect)
        case .exited(0):
            throw failure(.httpStatus, "the server answered HTTP \(status)")
        case .exited(1), .exited(3):
            throw failure(.invalidSource, complaint.isEmpty ? "curl refused the URL" : complaint)
        case .exited(127):
            throw failure(.transport, "curl could not be run (is it installed?): \(complaint)")
        default:
            throw failure(.transport, complaint.isEmpty ? "curl ended with \(result.status)" : complaint)
        }
    }
}
