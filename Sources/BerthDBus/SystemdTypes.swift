/// How systemd queues a job against others for the same unit (the `mode` argument of StartUnit).
public enum SystemdJobMode: String, Hashable, Sendable, Codable, CaseIterable {
    case replace
    case fail
    case isolate
    case ignoreDependencies = "ignore-dependencies"
    case ignoreRequirements = "ignore-requirements"
}

/// A job that finished: the `JobRemoved(u id, o job, s unit, s result)` signal.
public struct SystemdJobRemoved: Hashable, Sendable, Codable {
    public var id: UInt32
    public var jobPath: String
    public var unit: String
    /// `done`, `canceled`, `timeout`, `failed`, `dependency` or `skipped`.
    public var result: String

    public init(id: UInt32, jobPath: String, unit: String, result: String) {
        self.id = id
        self.jobPath = jobPath
        self.unit = unit
        self.result = result
    }

    /// Reads the signal's body; nil when it is not a JobRemoved body.
    public init?(_ message: DBusMessage) {
        guard message.member == "JobRemoved", message.body.count == 4,
              case .uint32(let id) = message.body[0], case .objectPath(let job) = message.body[1],
              case .string(let unit) = message.body[2], case .string(let result) = message.body[3] else { return nil }
        self.init(id: id, jobPath: job, unit: unit, result: result)
    }

    enum CodingKeys: String, CodingKey {
        case id
        case jobPath
        case unit
        case result
    }
}

/// The state of a unit as `GetAll` reports it on `org.freedesktop.systemd1.Unit` (and, for a service,
/// `org.freedesktop.systemd1.Service`).
public struct SystemdUnitProperties: Hashable, Sendable, Codable {
    public var id: String
    public var loadState: String
    public var activeState: String
    public var subState: String
    /// The service's result (`success`, `exit-code`, ...); nil for units that are not services.
    public var result: String?
    /// The service's main process, 0 when none; nil for units that are not services.
    public var mainPID: UInt32?

    public init(id: String, loadState: String, activeState: String, subState: String, result: String?, mainPID: UInt32?) {
        self.id = id
        self.loadState = loadState
        self.activeState = activeState
        self.subState = subState
        self.result = result
        self.mainPID = mainPID
    }

    enum CodingKeys: String, CodingKey {
        case id
        case loadState
        case activeState
        case subState
        case result
        case mainPID = "mainPid"
    }
}

/// One row of `ListUnitsByPatterns` (`a(ssssssouso)`).
public struct SystemdUnitStatus: Hashable, Sendable, Codable {
    public var name: String
    public var description: String
    public var loadState: String
    public var activeState: String
    public var subState: String
    public var following: String
    public var unitPath: String
    public var jobID: UInt32
    public var jobType: String
    public var jobPath: String

    init?(_ value: DBusValue) {
        guard let f = value.structValue, f.count == 10,
              case .string(let name) = f[0], case .string(let description) = f[1], case .string(let load) = f[2],
              case .string(let active) = f[3], case .string(let sub) = f[4], case .string(let following) = f[5],
              case .objectPath(let path) = f[6], case .uint32(let jobID) = f[7], case .string(let jobType) = f[8],
              case .objectPath(let jobPath) = f[9] else { return nil }
        self.name = name
        self.description = description
        self.loadState = load
        self.activeState = active
        self.subState = sub
        self.following = following
        self.unitPath = path
        self.jobID = jobID
        self.jobType = jobType
        self.jobPath = jobPath
    }

    enum CodingKeys: String, CodingKey {
        case name
        case description
        case loadState
        case activeState
        case subState
        case following
        case unitPath
        case jobID = "jobId"
        case jobType
        case jobPath
    }
}

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
