#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

extension SocketAddress {
    /// The TCP addresses of `host` (a name or a literal IPv4/IPv6 address) at `port`, in the order
    /// the resolver prefers. Resolution may block on DNS, so it runs on a dedicated thread.
    /// The corresponding C function is `getaddrinfo`.
    public static func resolve(host: String, port: UInt16) async throws -> [SocketAddress] {
        if let literal = literal(host: host, port: port) { return [literal] }
        return try await DedicatedThread.run(name: "berth-resolve") { try resolveBlocking(host: host, port: port) }
    }

    /// `host` as an address when it is a literal IPv4 or IPv6 address (no resolver involved), else nil.
    public static func literal(host: String, port: UInt16) -> SocketAddress? {
        if let v4 = IPv4Address(host) { return .ipv4(v4, port: port) }
        if let v6 = IPv6Address(host) { return .ipv6(v6, port: port) }
        return nil
    }

    /// `resolve(host:port:)` on the calling thread (never call this from a task).
    public static func resolveBlocking(host: String, port: UInt16) throws -> [SocketAddress] {
        guard !host.isEmpty, !host.utf8.contains(0) else {
            throw SocketError(.unresolvable, "cannot resolve an empty or malformed host name \(host.debugDescription)")
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = BERTH_SOCK_STREAM
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else {
            throw SocketError(.unresolvable, "cannot resolve host \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var result: [SocketAddress] = []
        var entry = list
        while let info = entry?.pointee {
            if let addr = info.ai_addr, info.ai_addrlen <= MemoryLayout<sockaddr_storage>.size {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: Int(info.ai_addrlen)))
                }
                if let address = try? SocketAddress(storage: storage, length: info.ai_addrlen), !result.contains(address) {
                    result.append(address)
                }
            }
            entry = info.ai_next
        }
        if result.isEmpty { throw SocketError(.unresolvable, "host \(host) has no IPv4 or IPv6 address") }
        return result
    }
}
