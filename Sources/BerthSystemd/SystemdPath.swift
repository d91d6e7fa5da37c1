import BerthDBus

/// systemd's object paths: units live at `/org/freedesktop/systemd1/unit/<escaped name>`, where every
/// byte outside `[A-Za-z0-9]` becomes `_` and two lower-case hex digits.
public enum SystemdPath {
    public static let manager = "/org/freedesktop/systemd1"
    public static let unitPrefix = "/org/freedesktop/systemd1/unit/"

    public static func escape(_ name: String) -> String {
        if name.isEmpty { return "_" }
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in name.utf8 {
            let alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            if alnum { out.append(b) } else { out += [UInt8(ascii: "_"), hex[Int(b >> 4)], hex[Int(b & 0xF)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func unescape(_ element: String) -> String? {
        if element == "_" { return "" }
        let bytes = Array(element.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "_") {
                guard i + 2 < bytes.count, let v = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) else { return nil }
                out.append(v)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// The object path of unit `name`.
    public static func unitPath(_ name: String) -> String { unitPrefix + escape(name) }

    /// The unit name a unit path stands for, or nil if it is not a unit path.
    public static func unitName(fromPath path: String) -> String? {
        guard path.hasPrefix(unitPrefix) else { return nil }
        return unescape(String(path.dropFirst(unitPrefix.count)))
    }
}
