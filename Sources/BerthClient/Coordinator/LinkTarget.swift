import BerthProtocol
import BerthSystem

/// What a coordinator needs to point a link at a container on another node: the address other
/// hosts reach that node by, and the host port its internal port is published on.
public enum LinkTarget {
    /// The address other nodes' containers reach `target` by: the alias's `host=`, else the host of
    /// a tcp:// address (unless it is loopback, which means something else inside a container),
    /// else the first IPv4 (then global IPv6) address `node.info` reports. Nil when none fits.
    public static func reachHost(_ target: NodeTarget, info: NodeInfo?) -> String? {
        if let host = target.host { return host }
        if case .tcp(let host, _) = target.address, !isLoopback(host) { return host }
        guard let info else { return nil }
        if let v4 = info.addresses.first(where: { IPv4Address($0) != nil && !$0.hasPrefix("169.254.") }) { return v4 }
        return info.addresses.first { IPv6Address($0) != nil && !$0.lowercased().hasPrefix("fe80:") }
    }

    /// Whether `reachHost` needs `node.info` for this target.
    public static func needsInfo(_ target: NodeTarget) -> Bool {
        if target.host != nil { return false }
        if case .tcp(let host, _) = target.address, !isLoopback(host) { return false }
        return true
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host.hasSuffix(".localhost")
    }

    /// The host port `port` of `ports` is published on; errors name the container and port.
    public static func externalPort(of port: UInt16, in ports: [PortMapping], id: String, node: NodeTarget) throws -> UInt16 {
        guard let mapping = ports.first(where: { $0.internal == port }) else {
            let published = ports.map { String($0.internal) }.joined(separator: ", ")
            throw ClientError(.protocolViolation, "\(node.name)/\(id) does not publish port \(port) (it publishes: \(published.isEmpty ? "none" : published))")
        }
        guard mapping.external != 0 else {
            throw ClientError(.protocolViolation, "\(node.name)/\(id): port \(port) has no host port allocated yet")
        }
        return mapping.external
    }

    /// `parseSource` for a command-line option (`--as`, `--from`): a usage error naming it when `text` is not `ADDR:PORT`.
    static func source(_ text: String, option: String) throws(UsageError) -> (host: String, port: UInt16) {
        guard let parsed = parseSource(text) else {
            throw UsageError("\(option) \(String(reflecting: text)): expected ADDR:PORT with an IP address ([v6]:PORT for IPv6) and a port from 1 to 65535")
        }
        return parsed
    }

    /// Parses `ADDR:PORT` (`[v6]:PORT` for IPv6); ADDR must be an IP literal.
    public static func parseSource(_ text: String) -> (host: String, port: UInt16)? {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard IPv6Address(String(host)) != nil else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard IPv4Address(String(host)) != nil else { return nil }
        }
        guard let port = UInt16(portText), port != 0 else { return nil }
        return (String(host), port)
    }
}
