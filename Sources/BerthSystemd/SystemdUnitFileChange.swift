import BerthDBus

/// One change LinkUnitFiles (or EnableUnitFiles) made: `symlink` or `unlink`, the link, its target.
public struct SystemdUnitFileChange: Hashable, Sendable, Codable {
    public var type: String
    public var file: String
    public var destination: String

    public init(type: String, file: String, destination: String) {
        self.type = type
        self.file = file
        self.destination = destination
    }

    static func list(_ value: DBusValue?, _ what: String) throws -> [SystemdUnitFileChange] {
        guard let rows = value?.arrayValue else { throw DBusProtocolError("\(what) replied without a(sss)") }
        return try rows.map { row in
            guard let f = row.structValue, f.count == 3, let type = f[0].stringValue, let file = f[1].stringValue,
                  let destination = f[2].stringValue else {
                throw DBusProtocolError("\(what) row of type '\(row.type)', expected '(sss)'")
            }
            return SystemdUnitFileChange(type: type, file: file, destination: destination)
        }
    }

    enum CodingKeys: String, CodingKey {
        case type
        case file
        case destination
    }
}
