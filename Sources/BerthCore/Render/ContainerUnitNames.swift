/// The unit names that belong to one container. Identifiers never contain `@`, so the per-port
/// socket and proxy units (`ctr-<id>@<port>.*`) can never collide with another container's units.
public enum ContainerUnitNames {
    /// `ctr-<id>.service`
    public static func service(_ id: Identifier) -> String {
        Identifier.unitPrefix + id.rawValue + ".service"
    }

    /// `ctr-<id>@<external port>.socket`: listens on the host port.
    public static func socket(_ id: Identifier, externalPort: UInt16) -> String {
        Identifier.unitPrefix + id.rawValue + "@\(externalPort).socket"
    }

    /// `ctr-<id>@<external port>.service`: the proxy the socket activates.
    public static func proxy(_ id: Identifier, externalPort: UInt16) -> String {
        Identifier.unitPrefix + id.rawValue + "@\(externalPort).service"
    }

    /// The runtime's name for the container (`ctr-<id>`).
    public static func containerName(_ id: Identifier) -> String {
        Identifier.unitPrefix + id.rawValue
    }

    /// A unit name systemd accepts: `[A-Za-z0-9:_.@-]` and a known suffix, at most 255 bytes.
    public static func validate(_ name: String, field: String = "unit name") throws(RenderError) {
        let suffixes = [".service", ".socket", ".target", ".slice", ".mount", ".path", ".timer", ".device", ".scope"]
        let bytes = Array(name.utf8)
        let ok = !bytes.isEmpty && bytes.count <= 255 && bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: ":") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
                || b == UInt8(ascii: "@") || b == UInt8(ascii: "-")
        }
        guard ok, let suffix = suffixes.first(where: { name.hasSuffix($0) }), bytes.count > suffix.utf8.count else {
            throw RenderError(field: field, value: name, reason: "must be a unit name of [A-Za-z0-9:_.@-] with a unit type suffix")
        }
    }
}
