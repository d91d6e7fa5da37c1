import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches an environment source: an http(s) URL whose body is in EnvironmentFile syntax. Unlike
/// geard's Fetch, it refuses every other scheme (redirects included), stops reading past `byteLimit`,
/// gives up after `timeout` for the whole exchange, and reports each failure as a distinct kind.
public struct EnvironmentFetcher: Sendable {
    public var byteLimit: Int
    public var timeout: Duration

    /// Defaults: 64 KiB, 10 seconds.
    public init(byteLimit: Int = 64 << 10, timeout: Duration = .seconds(10)) {
        self.byteLimit = byteLimit
        self.timeout = timeout
    }

    /// Downloads and parses `source`.
    public func fetch(_ source: String) async throws(EnvironmentFetchError) -> Environment {
        do { try EnvironmentDescription.validateSource(source) } catch {
            throw EnvironmentFetchError(.invalidSource, source: source, message: error.reason)
        }
        guard let url = URL(string: source), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil else {
            throw EnvironmentFetchError(.invalidSource, source: source, message: "not an http(s) URL")
        }
        let body = try await download(url, source: source)
        do {
            return try EnvironmentFile.parse(bytes: body)
        } catch {
            throw EnvironmentFetchError(.invalidContent, source: source, message: error.description)
        }
    }

    private func download(_ url: URL, source: String) async throws(EnvironmentFetchError) -> [UInt8] {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let configuration = URLSessionConfiguration.ephemeral
        // swift-corelibs-foundation mishandles sub-second session timeouts (it reported a 0.7 s timeout
        // after 80 ms), so the session gets a whole-second margin and the timer below sets the pace.
        configuration.timeoutIntervalForRequest = (seconds + 1).rounded(.up)
        configuration.timeoutIntervalForResource = (seconds + 1).rounded(.up)
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let delegate = FetchDelegate(source: source, byteLimit: byteLimit)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        // finish() has cancelled the task by the time this runs; invalidating breaks the session ->
        // delegate cycle without tearing down a callback still in flight.
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: URLRequest(url: url))
        delegate.attach(task)
        let result: Result<[UInt8], EnvironmentFetchError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                delegate.start(continuation)
                // The session's own timeouts are per-read on some platforms; this bounds the whole call.
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                    delegate.finish(.failure(EnvironmentFetchError(
                        .timedOut, source: source, message: "no complete answer within \(timeout)")))
                }
                task.resume()
            }
        } onCancel: {
            delegate.finish(.failure(EnvironmentFetchError(.cancelled, source: source, message: "cancelled")))
        }
        return try result.get()
    }
}
