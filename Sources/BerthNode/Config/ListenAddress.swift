import BerthSystem

/// One place the node listens: `unix:PATH` or `tcp://ADDR:PORT` (IPv4, or IPv6 in brackets).
public enum ListenAddress: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(SocketAddress)

    /// Parses the `--listen` syntax; the error names what was wrong.
    public init(parsing text: String) throws(ConfigurationError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard path.hasPrefix("/") else {
                throw ConfigurationError("--listen \(text): a Unix socket path must be absolute (unix:/run/berth/berthd.sock)")
            }
            guard path.utf8.count <= SocketAddress.maximumUnixPathLength else {
                throw ConfigurationError("--listen \(text): the path is longer than \(SocketAddress.maximumUnixPathLength) bytes")
            }
            self = .unix(path: path)
        } else if text.hasPrefix("tcp://") {
            let expected = "--listen \(text): expected tcp://IPV4:PORT or tcp://[IPV6]:PORT (a numeric address"
            let address: SocketAddress
            do { address = try SocketAddress(parsing: String(text.dropFirst("tcp://".count))) } catch {
                throw ConfigurationError("\(expected); \(error))")
            }
            if case .unix = address { throw ConfigurationError("\(expected), not a path)") }
            self = .tcp(address)
        } else {
            throw ConfigurationError("--listen \(text): expected unix:PATH or tcp://ADDR:PORT")
        }
    }

    public var isTCP: Bool {
        if case .tcp = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .unix(let path): return "unix:\(path)"
        case .tcp(let address): return "tcp://\(address)"
        }
    }
}
