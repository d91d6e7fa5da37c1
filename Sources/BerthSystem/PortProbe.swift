#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel whether a TCP port is free on this host, by binding it.
public enum PortProbe {
    /// Whether nothing holds TCP `port` on any address: a bind to 0.0.0.0 and one to [::] (v6-only,
    /// so each family is checked on its own) both succeed. SO_REUSEADDR is set so that connections
    /// lingering in TIME_WAIT do not count, while a listener on any address (loopback included)
    /// still does. If IPv6 is unavailable on the host only IPv4 is checked. Any other failure (no
    /// permission for a port below 1024, no descriptors) counts as "not free": a port is only
    /// handed out when it is known to be free.
    public static func isFree(_ port: UInt16) -> Bool {
        guard port != 0 else { return false }
        return canBind(.ipv4(.any, port: port)) && canBind(.ipv6(.any, port: port))
    }

    private static func canBind(_ address: SocketAddress) -> Bool {
        let socket: Socket
        do { socket = try Socket.stream(family: address.family, nonBlocking: false) } catch let error as SystemError {
            return address.family == AF_INET6 && error.errno.rawValue == EAFNOSUPPORT
        } catch { return false }
        defer { socket.close() }
        do {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            if address.family == AF_INET6 { try socket.setOption(CInt(IPPROTO_IPV6), IPV6_V6ONLY, 1, "IPV6_V6ONLY") }
            return try address.withSockAddr { bind(socket.descriptor.rawValue, $0, $1) == 0 }
        } catch {
            return false
        }
    }
}
