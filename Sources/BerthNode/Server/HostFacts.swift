#if canImport(Glibc)
import Glibc
#endif
import BerthSystem

/// The host's name and addresses, for `node.info`.
public enum HostFacts {
    /// The kernel's host name.
    public static func hostname() -> String {
        guard let bytes = try? FileSystem.read("/proc/sys/kernel/hostname", limit: 256) else { return "localhost" }
        let name = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
        return name.isEmpty ? "localhost" : name
    }

    /// Every up, non-loopback IPv4 and IPv6 address, as text (IPv6 link-local ones with their zone).
    public static func addresses() -> [String] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var out: [String] = []
        var cursor = first
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            guard let addr = entry.ifa_addr, entry.ifa_flags & UInt32(IFF_UP) != 0,
                  entry.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            switch Int32(addr.pointee.sa_family) {
            case AF_INET:
                var sin = sockaddr_in()
                memcpy(&sin, addr, MemoryLayout<sockaddr_in>.size)
                guard inet_ntop(AF_INET, &sin.sin_addr, &buffer, socklen_t(buffer.count)) != nil else { continue }
                out.append(String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            case AF_INET6:
                var sin6 = sockaddr_in6()
                memcpy(&sin6, addr, MemoryLayout<sockaddr_in6>.size)
                guard inet_ntop(AF_INET6, &sin6.sin6_addr, &buffer, socklen_t(buffer.count)) != nil else { continue }
                var text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if text.hasPrefix("fe80:"), let name = entry.ifa_name { text += "%" + String(cString: name) }
                out.append(text)
            default:
                continue
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }
}
