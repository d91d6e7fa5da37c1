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
    /// `getifaddrs` stays here (its only caller); the addresses are read and printed by BerthSystem's
    /// `SocketAddress`, as every other address of the node is.
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
            let length: Int
            switch CInt(addr.pointee.sa_family) {
            case AF_INET: length = MemoryLayout<sockaddr_in>.size
            case AF_INET6: length = MemoryLayout<sockaddr_in6>.size
            default: continue
            }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: length)) }
            switch try? SocketAddress(storage: storage, length: socklen_t(length)) {
            case .ipv4(let address, _)?:
                out.append(address.description)
            case .ipv6(let address, _, _)?:
                var text = address.description
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
