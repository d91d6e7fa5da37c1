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
        var out: [String] = []
        for entry in InterfaceAddress.all() where entry.isUp && !entry.isLoopback {
            switch entry.address {
            case .ipv4(let address, _):
                out.append(address.description)
            case .ipv6(let address, _, _):
                let text = address.description
                out.append(text.hasPrefix("fe80:") ? text + "%" + entry.interface : text)
            default:
                continue
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }
}
