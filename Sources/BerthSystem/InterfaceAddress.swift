#if canImport(Glibc)
import Glibc
#endif

/// One IPv4 or IPv6 address of a network interface of this host.
public struct InterfaceAddress: Hashable, Sendable {
    /// The interface's name (`eth0`), which is also an IPv6 link-local address's zone.
    public var interface: String
    public var address: SocketAddress
    public var isUp: Bool
    public var isLoopback: Bool

    /// Every IPv4 and IPv6 address of every interface, in the kernel's order (other families are
    /// left out). The corresponding C function is `getifaddrs`.
    public static func all() -> [InterfaceAddress] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var out: [InterfaceAddress] = []
        var cursor = first
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            guard let addr = entry.ifa_addr, let name = entry.ifa_name else { continue }
            let length: Int
            switch CInt(addr.pointee.sa_family) {
            case AF_INET: length = MemoryLayout<sockaddr_in>.size
            case AF_INET6: length = MemoryLayout<sockaddr_in6>.size
            default: continue
            }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: length)) }
            guard let address = try? SocketAddress(storage: storage, length: socklen_t(length)) else { continue }
            out.append(InterfaceAddress(interface: String(cString: name), address: address,
                                        isUp: entry.ifa_flags & UInt32(IFF_UP) != 0,
                                        isLoopback: entry.ifa_flags & UInt32(IFF_LOOPBACK) != 0))
        }
        return out
    }
}
