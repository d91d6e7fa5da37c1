/// A socket-level failure that is not a bare errno: a bad address, a timeout, a closed connection.
/// Errno failures of individual calls are `SystemError`s.
public struct SocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable code callers can switch on. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidAddress = "invalid_address"
            case pathTooLong = "path_too_long"
            case timedOut = "timed_out"
            case closed
            case concurrentOperation = "concurrent_operation"
            case addressInUse = "address_in_use"
            case notASocket = "not_a_socket"
            case unresolvable
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Text that is not a valid address.
        public static let invalidAddress = Code(.invalidAddress)
        /// A Unix socket path longer than `sun_path` can hold.
        public static let pathTooLong = Code(.pathTooLong)
        /// A connect (or another bounded wait) ran out of time.
        public static let timedOut = Code(.timedOut)
        /// The socket was closed while (or before) the operation waited.
        public static let closed = Code(.closed)
        /// Two tasks waited to read (or to write) on the same socket at once.
        public static let concurrentOperation = Code(.concurrentOperation)
        /// Another live process is listening on the address.
        public static let addressInUse = Code(.addressInUse)
        /// A path or descriptor that should be a socket is something else.
        public static let notASocket = Code(.notASocket)

        /// A host name that name resolution could not turn into addresses.
        public static let unresolvable = Code(.unresolvable)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// A message a person can act on, naming the address or path involved.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
