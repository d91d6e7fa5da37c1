/// Whether a container is started on demand by its sockets.
public enum SocketActivationMode: String, Hashable, Sendable, Codable {
    case disabled = "no"
    /// Host sockets and `systemd-socket-proxyd` in front of a loopback-published port.
    case proxied
}

/// The facts a container's unit file records about it, in its `[X-Berth]` section (systemd skips
/// sections whose names start with `X-` without a warning). The node reads them back to recover a
/// container from its unit alone.
public struct ContainerUnitMetadata: Hashable, Sendable {
    public var id: Identifier
    public var image: String
    public var requestId: String?
    /// `isolated` or `simple`, as geard called it.
    public var isolated: Bool
    public var shape: ContainerUnitShape
    public var runtime: ContainerRuntime
    public var ports: [PortPair]
    public var socketActivation: SocketActivationMode

    public init(id: Identifier, image: String, requestId: String?, isolated: Bool, shape: ContainerUnitShape,
                runtime: ContainerRuntime, ports: [PortPair], socketActivation: SocketActivationMode) {
        self.id = id
        self.image = image
        self.requestId = requestId
        self.isolated = isolated
        self.shape = shape
        self.runtime = runtime
        self.ports = ports
        self.socketActivation = socketActivation
    }

    public static let sectionName = "X-Berth"

    enum Key {
        static let id = "X-ContainerId"
        static let image = "X-ContainerImage"
        static let requestId = "X-ContainerRequestId"
        static let type = "X-ContainerType"
        static let shape = "X-ContainerShape"
        static let runtime = "X-ContainerRuntime"
        static let port = "X-PortMapping"
        static let socket = "X-SocketActivated"
    }

    /// Appends the `[X-Berth]` section.
    func write(to unit: inout UnitFileText) throws(RenderError) {
        unit.section(Self.sectionName)
        unit.set(Key.id, id.rawValue)
        unit.set(Key.image, try SystemdEscaping.plainValue(image, field: "image"))
        if let requestId {
            unit.set(Key.requestId, try SystemdEscaping.plainValue(requestId, field: "request id"))
        }
        unit.set(Key.type, isolated ? "isolated" : "simple")
        unit.set(Key.shape, shape.rawValue)
        unit.set(Key.runtime, runtime.rawValue)
        for pair in ports {
            unit.set(Key.port, "\(pair.internal):\(pair.external)")
        }
        unit.set(Key.socket, socketActivation.rawValue)
    }

    /// Reads the metadata back from a rendered unit's text. Throws when the section is missing or
    /// a value does not parse, naming the line.
    public init(unitText: String) throws(RenderError) {
        var values: [(String, String)] = []
        var inSection = false
        for rawLine in unitText.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.drop(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("#") || line.hasPrefix(";") || line.isEmpty { continue }
            if line.hasPrefix("[") {
                inSection = line.hasPrefix("[" + Self.sectionName + "]")
                continue
            }
            guard inSection, let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq]).trimmingBlanks
            let value = SystemdEscaping.unescapePlainValue(String(line[line.index(after: eq)...]).trimmingBlanks)
            values.append((key, value))
        }
        func one(_ key: String) -> String? { values.last(where: { $0.0 == key })?.1 }
        func fail(_ key: String, _ value: String, _ reason: String) -> RenderError {
            RenderError(field: key, value: value, reason: reason)
        }
        guard let idText = one(Key.id) else {
            throw fail(Key.id, "", "missing: the unit has no [\(Self.sectionName)] metadata")
        }
        guard let id = Identifier(rawValue: idText) else { throw fail(Key.id, idText, "not a valid identifier") }
        guard let image = one(Key.image) else { throw fail(Key.image, "", "missing") }
        let typeText = one(Key.type) ?? "simple"
        guard typeText == "simple" || typeText == "isolated" else {
            throw fail(Key.type, typeText, "must be 'simple' or 'isolated'")
        }
        let shapeText = one(Key.shape) ?? ContainerUnitShape.simple.rawValue
        guard let shape = ContainerUnitShape(rawValue: shapeText) else { throw fail(Key.shape, shapeText, "unknown shape") }
        let runtimeText = one(Key.runtime) ?? ContainerRuntime.podman.rawValue
        guard let runtime = ContainerRuntime(rawValue: runtimeText) else { throw fail(Key.runtime, runtimeText, "unknown runtime") }
        let socketText = one(Key.socket) ?? SocketActivationMode.disabled.rawValue
        guard let socket = SocketActivationMode(rawValue: socketText) else {
            throw fail(Key.socket, socketText, "must be 'no' or 'proxied'")
        }
        var ports: [PortPair] = []
        for (key, value) in values where key == Key.port {
            let parts = value.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let i = UInt16(parts[0]), let e = UInt16(parts[1]) else {
                throw fail(key, value, "must be internal:external port numbers")
            }
            ports.append(PortPair(internal: i, external: e))
        }
        self.init(id: id, image: image, requestId: one(Key.requestId), isolated: typeText == "isolated",
                  shape: shape, runtime: runtime, ports: ports, socketActivation: socket)
    }
}
