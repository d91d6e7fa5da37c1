import BerthCore
import BerthProtocol
import BerthSystem

/// Where a node listens, as written on the command line: `unix:PATH`, `tcp://HOST:PORT` (IPv6 in
/// brackets) or `ssh://[user@]host[:port]` (the CLI then runs `berth bridge` on that host).
public enum NodeAddress: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: UInt16)
    case ssh(user: String?, host: String, port: UInt16?)

    /// The socket berthd listens on unless told otherwise.
    public static let defaultSocketPath = "/run/berth/berthd.sock"

    /// `BERTH_NODE` when set and not empty, else the default Unix socket.
    public static func defaultAddress(environment: [String: String]) throws(NodeAddressError) -> NodeAddress {
        if let text = environment["BERTH_NODE"], !text.isEmpty { return try NodeAddress(parsing: text) }
        return .unix(path: defaultSocketPath)
    }

    /// Parses the text form; every failure names the input and what was expected.
    public init(parsing text: String) throws(NodeAddressError) {
        func invalid(_ why: String) -> NodeAddressError { NodeAddressError(input: text, reason: why) }
        if text.hasPrefix("unix:") {
            var path = String(text.dropFirst("unix:".count))
            // Accept unix:///run/x too, a form people type from URLs.
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw invalid("a unix: address needs a socket path, as in unix:/run/berth/berthd.sock") }
            guard !path.utf8.contains(0) else { throw invalid("the path contains a NUL byte") }
            guard path.utf8.count <= SocketAddress.maximumUnixPathLength else {
                throw invalid("the socket path is longer than \(SocketAddress.maximumUnixPathLength) bytes")
            }
            self = .unix(path: path)
        } else if text.hasPrefix("tcp://") {
            let rest = text.dropFirst("tcp://".count)
            let (host, port) = try NodeAddress.splitHostPort(rest, input: text)
            guard let port, port != 0 else { throw invalid("a tcp:// address needs a port from 1 to 65535, as in tcp://10.0.0.5:7480") }
            self = .tcp(host: host, port: port)
        } else if text.hasPrefix("ssh://") {
            var rest = text.dropFirst("ssh://".count)
            var user: String?
            if let at = rest.lastIndex(of: "@") {
                let name = String(rest[..<at])
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }), !name.hasPrefix("-") else {
                    throw invalid("the ssh user must be letters, digits, '.', '_' or '-'")
                }
                user = name
                rest = rest[rest.index(after: at)...]
            }
            let (host, port) = try NodeAddress.splitHostPort(rest, input: text)
            if port == 0 { throw invalid("the ssh port must be from 1 to 65535") }
            self = .ssh(user: user, host: host, port: port)
        } else if text.hasPrefix("/") {
            // A bare absolute path is unambiguous; treat it like unix:PATH.
            self = try NodeAddress(parsing: "unix:" + text)
        } else {
            throw invalid("expected unix:PATH, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]")
        }
    }

    /// Splits `host`, `host:port`, `[v6]` or `[v6]:port`. Host names are kept for the resolver but
    /// must look like host names, so nothing odd reaches ssh or getaddrinfo.
    static func splitHostPort(_ text: Substring, input: String) throws(NodeAddressError) -> (String, UInt16?) {
        func invalid(_ why: String) -> NodeAddressError { NodeAddressError(input: input, reason: why) }
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid("an IPv6 address needs a closing ']'") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("expected ':PORT' after ']'") }
                portText = after.dropFirst()
            }
            guard IPv6Address(String(host.split(separator: "%", maxSplits: 1).first ?? "")) != nil else {
                throw invalid("\(String(reflecting: String(host))) is not an IPv6 address")
            }
        } else {
            if let colon = text.firstIndex(of: ":") {
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
                if portText?.contains(":") == true { throw invalid("an IPv6 address needs brackets, as in tcp://[::1]:7480") }
            } else {
                host = text
            }
            guard !host.isEmpty else { throw invalid("the host is missing") }
            // Bytes, not Characters: the same ASCII set, without a Unicode property lookup per
            // character (a fan-out parses every --node once or twice, and the agent every call).
            guard let first = host.utf8.first, first != UInt8(ascii: "-"), first != UInt8(ascii: "."),
                  host.utf8.allSatisfy(NodeAddress.isHostNameByte)
            else { throw invalid("\(String(reflecting: String(host))) is not a host name or IP address") }
        }
        guard let portText else { return (String(host), nil) }
        guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let port = Int(portText), port <= 65535
        else { throw invalid("the port \(String(reflecting: String(portText))) is not a number from 1 to 65535") }
        return (String(host), UInt16(port))
    }

    /// A letter, digit, '.', '-' or '_' of ASCII: what a host name may hold.
    static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }

    /// The text form `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .unix(let path): return "unix:" + path
        case .tcp(let host, let port): return "tcp://" + NetworkLink.bracketed(host) + ":\(port)"
        case .ssh(let user, let host, let port):
            return "ssh://" + (user.map { $0 + "@" } ?? "") + NetworkLink.bracketed(host) + (port.map { ":\($0)" } ?? "")
        }
    }

}

/// A node address that could not be parsed.
public typealias NodeAddressError = InvalidInput<NodeAddress>

extension NodeAddress: InvalidInputSubject {
    public static let inputNoun = "node address"
}
