/// The units every Berth host shares: targets that group the containers and slices that bound
/// their resources.
///
/// - `berth.target` pulls in `berth-active.target` (containers enabled to start with the host) and
///   `berth-sockets.target` (the sockets of socket-activated containers).
/// - `berth.slice` holds every container with CPU and memory accounting; `berth-small.slice` (512M)
///   and `berth-large.slice` (1G) are its children by systemd's dash naming. `MemoryMax=` is the
///   current name of the limit (systemd maps it on the legacy hierarchy too).
public enum SharedUnits {
    public static let target = "berth.target"
    public static let activeTarget = "berth-active.target"
    public static let socketsTarget = "berth-sockets.target"
    public static let slice = "berth.slice"
    public static let smallSlice = "berth-small.slice"
    public static let largeSlice = "berth-large.slice"

    /// The three targets. `wantedBy` is `multi-user.target` under the system manager and
    /// `default.target` under a user manager.
    public static func targets(wantedBy: String) throws(RenderError) -> [RenderedUnit] {
        try ContainerUnitNames.validate(wantedBy, field: "wanted-by target")
        func render(_ name: String, _ description: String, wants: [String]) -> RenderedUnit {
            var unit = UnitFileText(header: "Rendered by Berth; berthd rewrites this file.")
            unit.section("Unit")
            unit.set("Description", description)
            if !wants.isEmpty {
                unit.set("Wants", wants.joined(separator: " "))
                unit.set("After", wants.joined(separator: " "))
            }
            unit.section("Install")
            unit.set("WantedBy", wantedBy)
            return RenderedUnit(name: name, text: unit.text)
        }
        return [
            render(target, "Berth containers", wants: [activeTarget, socketsTarget]),
            render(activeTarget, "Berth containers started with the host", wants: []),
            render(socketsTarget, "Berth sockets of socket-activated containers", wants: []),
        ]
    }

    /// The three slices.
    public static func slices() -> [RenderedUnit] {
        func render(_ name: String, _ description: String, memoryMax: String?) -> RenderedUnit {
            var unit = UnitFileText(header: "Rendered by Berth; berthd rewrites this file.")
            unit.section("Unit")
            unit.set("Description", description)
            unit.section("Slice")
            unit.set("CPUAccounting", "yes")
            unit.set("MemoryAccounting", "yes")
            if let memoryMax { unit.set("MemoryMax", memoryMax) }
            return RenderedUnit(name: name, text: unit.text)
        }
        return [
            render(slice, "Berth containers", memoryMax: nil),
            render(smallSlice, "Berth small containers (512M)", memoryMax: "512M"),
            render(largeSlice, "Berth large containers (1G)", memoryMax: "1G"),
        ]
    }
}
