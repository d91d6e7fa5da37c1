import BerthDBus

/// A `PropertiesChanged` signal from a unit object.
public struct SystemdUnitStateChange: Hashable, Sendable {
    /// The unit's object path.
    public var unitPath: String
    /// The unit's name, decoded from its path.
    public var unit: String
    /// `org.freedesktop.systemd1.Unit`, `.Service`, ...
    public var interface: String
    public var changed: [String: DBusValue]
    public var invalidated: [String]

    /// `ActiveState`, when this change carries it.
    public var activeState: String? { changed["ActiveState"]?.stringValue }
    /// `SubState`, when this change carries it.
    public var subState: String? { changed["SubState"]?.stringValue }

    init?(_ message: DBusMessage) {
        guard message.member == "PropertiesChanged", let path = message.path, message.body.count == 3,
              case .string(let interface) = message.body[0], let changed = message.body[1].stringDictValue,
              let invalidated = message.body[2].arrayValue else { return nil }
        unitPath = path
        unit = SystemdPath.unitName(fromPath: path) ?? path
        self.interface = interface
        self.changed = changed.mapValues(\.unwrapped)
        self.invalidated = invalidated.compactMap(\.stringValue)
    }
}
