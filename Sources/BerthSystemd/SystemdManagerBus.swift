import BerthDBus

/// A typed client of systemd's manager API (`org.freedesktop.systemd1.Manager`) over a `DBusConnection`,
/// normally the manager's private peer-to-peer socket.
public struct SystemdManagerBus: Sendable {
    public let connection: DBusConnection
    /// `org.freedesktop.systemd1` on a bus; nil peer-to-peer.
    let destination: String?

    public init(connection: DBusConnection, onBus: Bool = false) {
        self.connection = connection
        self.destination = onBus ? SystemdInterface.busName : nil
    }

    /// Connects to the private socket of the manager whose runtime directory is `runtimeDirectory`
    /// (`$XDG_RUNTIME_DIR` of a user manager, `/run` for the system one).
    public static func connectPrivate(runtimeDirectory: String, timeout: Duration = .seconds(5)) async throws -> SystemdManagerBus {
        SystemdManagerBus(connection: try await DBusConnection.connect(path: runtimeDirectory + "/systemd/private", timeout: timeout))
    }

    func callManager(_ member: String, _ body: [DBusValue] = [], timeout: Duration = DBusConnection.defaultCallTimeout) async throws -> [DBusValue] {
        try await connection.call(path: SystemdPath.manager, interface: SystemdInterface.manager, member: member, body: body,
                                  destination: destination, timeout: timeout)
    }

    func objectPath(_ reply: [DBusValue], _ what: String) throws -> String {
        guard case .objectPath(let path)? = reply.first else {
            throw DBusProtocolError("\(what) replied with signature '\(reply.map(\.type.signature).joined())', expected 'o'")
        }
        return path
    }

    /// Asks the manager to send signals (JobRemoved, UnitRemoved, PropertiesChanged) to this client.
    public func subscribe() async throws { _ = try await callManager("Subscribe") }

    /// Reloads unit files (`daemon-reload`); returns once the manager has finished.
    public func reload(timeout: Duration = .seconds(90)) async throws { _ = try await callManager("Reload", timeout: timeout) }

    /// Queues a start job; returns the job's object path.
    public func startUnit(_ name: String, mode: SystemdJobMode = .replace) async throws -> String {
        try objectPath(try await callManager("StartUnit", [.string(name), .string(mode.rawValue)]), "StartUnit")
    }

    /// Queues a stop job; returns the job's object path.
    public func stopUnit(_ name: String, mode: SystemdJobMode = .replace) async throws -> String {
        try objectPath(try await callManager("StopUnit", [.string(name), .string(mode.rawValue)]), "StopUnit")
    }

    /// Queues a restart job; returns the job's object path.
    public func restartUnit(_ name: String, mode: SystemdJobMode = .replace) async throws -> String {
        try objectPath(try await callManager("RestartUnit", [.string(name), .string(mode.rawValue)]), "RestartUnit")
    }

    /// Links unit files from outside the unit path into it (`systemctl link`); `runtime` links under
    /// /run (gone at reboot). Returns the changes systemd made as (type, link, target) triples.
    /// Call `reload()` afterwards so the manager sees them.
    public func linkUnitFiles(_ paths: [String], runtime: Bool = false, force: Bool = false) async throws
        -> [SystemdUnitFileChange] {
        let reply = try await callManager("LinkUnitFiles", [.strings(paths), .boolean(runtime), .boolean(force)])
        return try SystemdUnitFileChange.list(reply.first, "LinkUnitFiles")
    }

    /// The path of a loaded unit; `org.freedesktop.systemd1.NoSuchUnit` if it is not loaded.
    public func getUnit(_ name: String) async throws -> String {
        try objectPath(try await callManager("GetUnit", [.string(name)]), "GetUnit")
    }

    /// The path of a unit, loading it from disk if needed.
    public func loadUnit(_ name: String) async throws -> String {
        try objectPath(try await callManager("LoadUnit", [.string(name)]), "LoadUnit")
    }

    /// Units whose state is in `states` (all if empty) and name matches a glob in `patterns` (all if empty).
    public func listUnitsByPatterns(states: [String] = [], patterns: [String]) async throws -> [SystemdUnitStatus] {
        try await listUnitsInOrder(states: states, patterns: patterns).units
    }

    /// `listUnitsByPatterns`, with the serial systemd gave its reply. On one connection systemd's
    /// serials increase in the order it sends, so every signal with a smaller serial was sent before
    /// the listing was taken and is already in it: a consumer of signals skips those instead of
    /// applying an older state over the listing's.
    public func listUnitsInOrder(states: [String] = [], patterns: [String]) async throws
        -> (units: [SystemdUnitStatus], serial: UInt32) {
        let reply = try await connection.call(.methodCall(
            path: SystemdPath.manager, interface: SystemdInterface.manager, member: "ListUnitsByPatterns",
            destination: destination, body: [.strings(states), .strings(patterns)]))
        guard let rows = reply.body.first?.arrayValue else {
            throw DBusProtocolError("ListUnitsByPatterns replied without an array")
        }
        let units = try rows.map { row in
            guard let status = SystemdUnitStatus(row) else {
                throw DBusProtocolError("ListUnitsByPatterns row of type '\(row.type)', expected '(ssssssouso)'")
            }
            return status
        }
        return (units, reply.serial)
    }

    /// Every property of `interface` on the object at `path` (`org.freedesktop.DBus.Properties.GetAll`),
    /// variants unwrapped.
    public func allProperties(path: String, interface: String) async throws -> [String: DBusValue] {
        let reply = try await connection.call(path: path, interface: SystemdInterface.properties, member: "GetAll",
                                              body: [.string(interface)], destination: destination)
        guard let dict = reply.first?.stringDictValue else { throw DBusProtocolError("GetAll replied without a{sv}") }
        return dict.mapValues(\.unwrapped)
    }

    /// One property (`org.freedesktop.DBus.Properties.Get`), its variant unwrapped.
    public func property(path: String, interface: String, name: String) async throws -> DBusValue {
        let reply = try await connection.call(path: path, interface: SystemdInterface.properties, member: "Get",
                                              body: [.string(interface), .string(name)], destination: destination)
        guard let value = reply.first else { throw DBusProtocolError("Get replied with an empty body") }
        return value.unwrapped
    }

    /// The state of unit `name` (loading it if needed): Unit properties, plus Result and MainPID for
    /// a service.
    public func unitProperties(_ name: String) async throws -> SystemdUnitProperties {
        let path = try await loadUnit(name)
        let unit = try await allProperties(path: path, interface: SystemdInterface.unit)
        var properties = SystemdUnitProperties(
            id: unit["Id"]?.stringValue ?? name, loadState: unit["LoadState"]?.stringValue ?? "",
            activeState: unit["ActiveState"]?.stringValue ?? "", subState: unit["SubState"]?.stringValue ?? "",
            result: nil, mainPID: nil)
        if name.hasSuffix(".service") {
            let service = try await allProperties(path: path, interface: SystemdInterface.service)
            properties.result = service["Result"]?.stringValue
            properties.mainPID = service["MainPID"]?.integerValue.flatMap { UInt32(exactly: $0) }
        }
        return properties
    }
}
