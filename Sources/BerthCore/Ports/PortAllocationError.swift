/// Why a port could not be reserved or released.
public struct PortAllocationError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// A requested port is reserved by another container or held by another process.
        case unavailable = "port_unavailable"
        /// No free port is left in the range.
        case exhausted = "ports_exhausted"
        /// The pairs themselves are invalid.
        case invalid = "invalid_ports"
        /// The ports directory could not be read or written.
        case storage = "storage_failed"
    }

    public let kind: Kind
    public let port: UInt16?
    public let message: String

    public init(_ kind: Kind, port: UInt16? = nil, message: String) {
        self.kind = kind
        self.port = port
        self.message = message
    }

    public var description: String { message }
}
