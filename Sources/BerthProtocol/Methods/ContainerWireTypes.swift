// Wire shapes shared by the container methods. Identifiers travel as plain strings here; the node
// validates them (BerthCore.Identifier) and answers `invalid_identifier` naming the rule broken.

/// `internal` port in the container published on `external` on the host; `external == 0` asks the
/// node to allocate one.
public struct PortMapping: Codable, Hashable, Sendable {
    public var `internal`: UInt16
    public var external: UInt16
    public init(internal: UInt16, external: UInt16 = 0) {
        self.internal = `internal`
        self.external = external
    }
    enum CodingKeys: String, CodingKey { case `internal`, external }

    /// `external` may be left out, meaning 0 (allocate), as the contract says; results always carry it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.internal = try container.decode(UInt16.self, forKey: .internal)
        self.external = try container.decodeIfPresent(UInt16.self, forKey: .external) ?? 0
    }
}

/// One environment variable.
public struct EnvironmentEntry: Codable, Hashable, Sendable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A host directory (or file) mounted into the container: one type on the wire and in the node's
/// model; BerthCore adds its rules (`validate()`) and its runtime form. Decoding takes any strings,
/// so the node can answer a bad path with `invalid_params` naming the field.
public struct VolumeMount: Codable, Hashable, Sendable {
    public var hostPath: String
    public var containerPath: String
    public var readOnly: Bool
    public init(hostPath: String, containerPath: String, readOnly: Bool = false) {
        self.hostPath = hostPath
        self.containerPath = containerPath
        self.readOnly = readOnly
    }
    enum CodingKeys: String, CodingKey { case hostPath, containerPath, readOnly }

    /// A missing `readOnly` is a writable mount.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(hostPath: try container.decode(String.self, forKey: .hostPath),
                  containerPath: try container.decode(String.self, forKey: .containerPath),
                  readOnly: try container.decodeIfPresent(Bool.self, forKey: .readOnly) ?? false)
    }

    /// `readOnly` only when set, so a writable mount reads as it always has (in params and records).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hostPath, forKey: .hostPath)
        try container.encode(containerPath, forKey: .containerPath)
        if readOnly { try container.encode(true, forKey: .readOnly) }
    }
}

/// An outbound link: connections the container makes to `fromHost:fromPort` go to `toHost:toPort`.
/// `fromHost` defaults to 127.0.0.1; `toPort == 0` means not yet known (stored, not applied).
public struct LinkSpec: Codable, Hashable, Sendable {
    public var fromHost: String?
    public var fromPort: UInt16
    public var toHost: String
    public var toPort: UInt16
    public init(fromHost: String? = nil, fromPort: UInt16, toHost: String, toPort: UInt16) {
        self.fromHost = fromHost
        self.fromPort = fromPort
        self.toHost = toHost
        self.toPort = toPort
    }
}

/// A container's state as `container.status`, `container.list` and events report it.
public struct ContainerStatus: Codable, Hashable, Sendable {
    public var id: String
    public var image: String
    /// systemd's ActiveState of the unit: active, inactive, activating, deactivating, failed, or
    /// "unknown" when systemd could not be asked.
    public var state: String
    /// systemd's SubState (running, dead, exited, ...), when known.
    public var subState: String?
    public var ports: [PortMapping]
    /// True when the container is marked to start (and start again on boot).
    public var enabled: Bool
    public var socketActivated: Bool
    /// The unit's main process (the runtime CLI or conmon), when running.
    public var mainPID: Int?
    /// Names of the container's environment variables (values via `container.env.get`).
    public var environmentNames: [String]?
    public var links: [LinkSpec]?
    /// The uid (and gid) an isolated container runs as; absent when it is not isolated.
    public var isolatedUID: UInt32?
    /// The restart policy and resource limits the container was installed with, as
    /// `container.install` takes them; each absent when not set (no restart, no limit).
    public var restart: String?
    public var restartDelaySeconds: Double?
    public var restartBurst: Int?
    public var restartIntervalSeconds: Int?
    public var memory: Int?
    public var memorySwap: Int?
    public var cpus: Double?
    public var pids: Int?
    /// Only in the result of `container.start` and `container.restart`: true when the unit had hit
    /// its start limit (`start-limit-hit`, a crash loop) and the node reset it to start it again.
    public var startLimitReset: Bool?
    /// systemd's `Result` of the container's service: `success`, `exit-code`, `signal`, `timeout`,
    /// `core-dump`, `oom-kill`, `start-limit-hit`, ... Absent when systemd has not loaded the unit
    /// (a container that never ran, or stopped cleanly and was unloaded).
    public var result: String?
    /// The exit status of the service's main process, once it exited (not while it runs).
    public var exitStatus: Int?
    /// The signal that ended the service's main process (`SIGKILL`, ...), when one did.
    public var exitSignal: String?
    /// When the current state began (systemd's `StateChangeTimestamp`): RFC 3339 in UTC, microseconds.
    public var since: String?
    /// How many times systemd restarted the service (its restart policy) since it was loaded.
    public var restarts: Int?
    public init(id: String, image: String, state: String, subState: String? = nil, ports: [PortMapping] = [],
                enabled: Bool = false, socketActivated: Bool = false, mainPID: Int? = nil,
                environmentNames: [String]? = nil, links: [LinkSpec]? = nil, isolatedUID: UInt32? = nil,
                result: String? = nil, exitStatus: Int? = nil, exitSignal: String? = nil, since: String? = nil,
                restarts: Int? = nil) {
        self.result = result
        self.exitStatus = exitStatus
        self.exitSignal = exitSignal
        self.since = since
        self.restarts = restarts
        self.isolatedUID = isolatedUID
        self.mainPID = mainPID
        self.environmentNames = environmentNames
        self.links = links
        self.id = id
        self.image = image
        self.state = state
        self.subState = subState
        self.ports = ports
        self.enabled = enabled
        self.socketActivated = socketActivated
    }

    /// The `state` values a node reports (and `container.list` filters on).
    public static let states = ["active", "inactive", "activating", "deactivating", "failed", "unknown"]
}
