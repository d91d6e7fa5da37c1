/// A failure on the client's side of a call: the node could not be reached, the connection broke,
/// authentication failed, or no answer came in time. Errors the node answers with are `RPCError`s.
public struct ClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure, so the CLI picks an exit code without reading messages.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case unreachable, closed, timedOut, authenticationFailed, unsupported, protocolViolation
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// Connecting failed (no socket, refused, unresolvable host, connect timeout).
        public static let unreachable = Code(.unreachable)
        /// The connection ended before the answer arrived.
        public static let closed = Code(.closed)
        /// No answer within the call's timeout.
        public static let timedOut = Code(.timedOut)
        /// The node refused our secret, or could not prove it holds the secret.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// Something this client does not do (yet).
        public static let unsupported = Code(.unsupported)
        /// The node sent something that is not a valid answer.
        public static let protocolViolation = Code(.protocolViolation)
        public var description: String { base.rawValue }
        /// The code named by `description` (how `berth agent` hands a failure back).
        public init?(named name: String) {
            guard let base = Base(rawValue: name) else { return nil }
            self.base = base
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
