#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

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
        return canBind(port, family: AF_INET) && canBind(port, family: AF_INET6)
    }

    private static func canBind(_ port: UInt16, family: CInt) -> Bool {
        let fd = berth_socket(family, BERTH_SOCK_STREAM, 0, 0)
        if fd < 0 { return family == AF_INET6 && errno == EAFNOSUPPORT }
        defer { _ = close(fd) }
        var one: CInt = 1
        let size = socklen_t(MemoryLayout<CInt>.size)
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size) == 0 else { return false }
        if family == AF_INET6 {
            guard setsockopt(fd, CInt(IPPROTO_IPV6), IPV6_V6ONLY, &one, size) == 0 else { return false }
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = in6addr_any
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
                }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
