#if canImport(Glibc)
import Glibc
#endif

/// Where a socket listens or connects: a Unix socket path, or an IPv4 or IPv6 address and port.
///
/// A Unix path that starts with `@` names an abstract socket (Linux): the `@` stands for the leading
/// NUL byte, as in systemd's `NOTIFY_SOCKET`. An empty path is the unnamed address a connecting
/// Unix socket has.
public enum SocketAddress: Hashable, Sendable, CustomStringConvertible, Codable {
    case unix(path: String)
    case ipv4(IPv4Address, port: UInt16)
    case ipv6(IPv6Address, port: UInt16, scopeID: UInt32 = 0)

    /// The longest Unix socket path `sun_path` holds, in bytes, leaving room for its NUL.
    public static let maximumUnixPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Parses `127.0.0.1:80`, `[::1]:80`, `[fe80::1%2]:80`, a path starting with `/` or `.`, or an
    /// `@abstract` name. Host names are not accepted: resolve them first.
    public init(parsing text: String) throws {
        if text.hasPrefix("/") || text.hasPrefix(".") || text.hasPrefix("@") {
            self = .unix(path: text)
            try validateUnixPath(text)
            return
        }
        func invalid(_ why: String) -> SocketError {
            SocketError(.invalidAddress, "invalid socket address '\(text)': \(why)")
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw invalid("expected HOST:PORT, [IPV6]:PORT or a socket path")
        }
        let host = text[..<colon]
        let portText = text[text.index(after: colon)...]
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText) else {
            throw invalid("port must be a number from 0 to 65535")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            var inner = host.dropFirst().dropLast()
            var scopeID: UInt32 = 0
            if let percent = inner.firstIndex(of: "%") {
                guard let scope = UInt32(inner[inner.index(after: percent)...]) else {
                    throw invalid("the IPv6 zone must be a numeric interface index")
                }
                scopeID = scope
                inner = inner[..<percent]
            }
            guard let address = IPv6Address(String(inner)) else { throw invalid("not an IPv6 address") }
            self = .ipv6(address, port: port, scopeID: scopeID)
        } else if let address = IPv4Address(String(host)) {
            self = .ipv4(address, port: port)
        } else if host.contains(":") {
            throw invalid("an IPv6 address needs brackets, as in [::1]:80")
        } else {
            throw invalid("not an IPv4 address (host names must be resolved first)")
        }
    }

    /// Reads an address the kernel filled in (accept, getsockname, getpeername).
    public init(storage: sockaddr_storage, length: socklen_t) throws {
        var storage = storage
        let family = CInt(storage.ss_family)
        switch family {
        case AF_UNIX:
            let pathOffset = MemoryLayout<sa_family_t>.size
            let pathLength = max(0, Int(length) - pathOffset)
            let raw: [UInt8] = withUnsafeBytes(of: &storage) { Array($0[pathOffset..<(pathOffset + pathLength)]) }
            if raw.first == 0 {
                self = .unix(path: "@" + String(decoding: raw.dropFirst(), as: UTF8.self))
            } else {
                self = .unix(path: String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self))
            }
        case AF_INET:
            let sin = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            self = .ipv4(IPv4Address(rawValue: UInt32(bigEndian: sin.sin_addr.s_addr)), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            self = .ipv6(IPv6Address(sin6.sin6_addr), port: UInt16(bigEndian: sin6.sin6_port), scopeID: sin6.sin6_scope_id)
        default:
            throw SocketError(.invalidAddress, "unsupported socket address family \(family)")
        }
    }

    /// The address family: AF_UNIX, AF_INET or AF_INET6.
    public var family: CInt {
        switch self {
        case .unix: AF_UNIX
        case .ipv4: AF_INET
        case .ipv6: AF_INET6
        }
    }

    /// The port of an IP address; nil for a Unix socket.
    public var port: UInt16? {
        switch self {
        case .unix: nil
        case .ipv4(_, let port), .ipv6(_, let port, _): port
        }
    }

    /// The IP address without the port (nil for a Unix address): what names a TCP peer's host.
    public var host: String? {
        switch self {
        case .unix: nil
        case .ipv4(let address, _): address.description
        case .ipv6(let address, _, _): address.description
        }
    }

    /// `/run/berth.sock`, `127.0.0.1:80`, `[::1]:80`: the same text `init(parsing:)` reads.
    public var description: String {
        switch self {
        case .unix(let path): path
        case .ipv4(let address, let port): "\(address):\(port)"
        case .ipv6(let address, let port, let scope): scope == 0 ? "[\(address)]:\(port)" : "[\(address)%\(scope)]:\(port)"
        }
    }

    /// Calls `body` with this address as a `sockaddr`, for bind, connect and sendto.
    /// Throws when a Unix path is empty, contains NUL or does not fit `sun_path`.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) throws -> R {
        var storage = sockaddr_storage()
        let length: Int
        switch self {
        case .unix(let path):
            try validateUnixPath(path)
            var sun = sockaddr_un()
            sun.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(path.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &sun.sun_path) { $0.copyBytes(from: bytes) }
            // An abstract name is exactly its bytes; a path carries its terminating NUL.
            length = MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sun, as: sockaddr_un.self) }
        case .ipv4(let address, let port):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = address.inAddr
            length = MemoryLayout<sockaddr_in>.size
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin, as: sockaddr_in.self) }
        case .ipv6(let address, let port, let scope):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = address.in6Addr
            sin6.sin6_scope_id = scope
            length = MemoryLayout<sockaddr_in6>.size
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin6, as: sockaddr_in6.self) }
        }
        return try withUnsafePointer(to: &storage) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(length)) }
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try SocketAddress(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

private func validateUnixPath(_ path: String) throws {
    let length = path.utf8.count
    if path.isEmpty || path == "@" {
        throw SocketError(.invalidAddress, "a Unix socket path must not be empty")
    }
    if path.utf8.contains(0) {
        throw SocketError(.invalidAddress, "a Unix socket path must not contain NUL bytes: \(path.debugDescription)")
    }
    if length > SocketAddress.maximumUnixPathLength {
        throw SocketError(.pathTooLong, "Unix socket path is \(length) bytes, over the limit of "
            + "\(SocketAddress.maximumUnixPathLength) (sun_path): \(path); use a shorter path")
    }
}
