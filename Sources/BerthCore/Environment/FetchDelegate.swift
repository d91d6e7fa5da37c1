import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// Collects one download for `EnvironmentFetcher`, enforcing the byte limit as data arrives and
/// resuming the waiting caller exactly once, whichever of completion, limit, timeout or cancellation
/// comes first. Each callback calls its completion handler before `fail`: failing resumes the
/// caller, which invalidates the session, and swift-corelibs-foundation traps on a completion
/// handler called after that.
final class FetchDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: every mutable field lives in `state`, a Mutex; the rest is immutable.
    private struct State {
        var body: [UInt8] = []
        var continuation: CheckedContinuation<Result<[UInt8], EnvironmentFetchError>, Never>?
        var pending: Result<[UInt8], EnvironmentFetchError>?
        var done = false
        var task: URLSessionTask?
    }

    private let source: String
    private let byteLimit: Int
    private let state = Mutex(State())

    init(source: String, byteLimit: Int) {
        self.source = source
        self.byteLimit = byteLimit
    }

    func attach(_ task: URLSessionTask) { state.withLock { $0.task = task } }

    func start(_ continuation: CheckedContinuation<Result<[UInt8], EnvironmentFetchError>, Never>) {
        let ready: Result<[UInt8], EnvironmentFetchError>? = state.withLock {
            if let pending = $0.pending { return pending }
            $0.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(returning: ready) }
    }

    /// Delivers the outcome once; later calls are ignored. Cancels the transfer if still running.
    func finish(_ result: Result<[UInt8], EnvironmentFetchError>) {
        let (continuation, task): (CheckedContinuation<Result<[UInt8], EnvironmentFetchError>, Never>?, URLSessionTask?) =
            state.withLock {
                if $0.done { return (nil, nil) }
                $0.done = true
                let c = $0.continuation
                $0.continuation = nil
                if c == nil { $0.pending = result }
                return (c, $0.task)
            }
        task?.cancel()
        continuation?.resume(returning: result)
    }

    private func fail(_ kind: EnvironmentFetchError.Kind, _ message: String) {
        finish(.failure(EnvironmentFetchError(kind, source: source, message: message)))
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, (300...399).contains(http.statusCode),
           let location = http.value(forHTTPHeaderField: "Location") {
            // URLSession hands back redirects it will not follow (to file:, ftp:, ...) as responses.
            completionHandler(.cancel)
            fail(.invalidSource, "redirected to \(location), which is not an http(s) URL")
        } else if let http = response as? HTTPURLResponse, !(200...299).contains(http.statusCode) {
            completionHandler(.cancel)
            fail(.httpStatus, "the server answered HTTP \(http.statusCode)")
        } else if response.expectedContentLength > Int64(byteLimit) {
            completionHandler(.cancel)
            fail(.tooLarge, "the body of \(response.expectedContentLength) bytes exceeds the limit of \(byteLimit)")
        } else {
            completionHandler(.allow)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let over: Bool = state.withLock {
            if $0.done { return false }
            $0.body.append(contentsOf: data)
            return $0.body.count > byteLimit
        }
        if over { fail(.tooLarge, "the body exceeds the limit of \(byteLimit) bytes") }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask,
                    willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
                    completionHandler: @escaping (URLRequest?) -> Void) {
        // Judge the Location the server sent, not only the request URLSession built from it: on
        // Linux that request can differ (it kept the original scheme and host for a file: target).
        let location = response.value(forHTTPHeaderField: "Location").flatMap { URL(string: $0, relativeTo: response.url) }
        let schemes = [location?.scheme, request.url?.scheme].map { $0?.lowercased() }
        if schemes.allSatisfy({ $0 == "http" || $0 == "https" }) {
            completionHandler(request)
        } else {
            let target = location?.absoluteString ?? request.url?.absoluteString ?? "?"
            completionHandler(nil)
            fail(.invalidSource, "redirected to \(target), which is not an http(s) URL")
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error {
            let nsError = error as NSError
            if nsError.domain == NSURLErrorDomain && nsError.code == NSURLErrorTimedOut {
                fail(.timedOut, "timed out: \(nsError.localizedDescription)")
            } else {
                fail(.transport, nsError.localizedDescription)
            }
        } else {
            let body = state.withLock { $0.body }
            finish(.success(body))
        }
    }
}
