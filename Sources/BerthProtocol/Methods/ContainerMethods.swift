/// Params of `container.install`. Mutations take an optional `requestId`: a retry with the same id
/// returns the first result instead of acting twice.
public struct ContainerInstallParams: Codable, Hashable, Sendable {
    public var id: String
    public var image: String
    public var command: [String]?
    public var ports: [PortMapping]?
    public var environment: [EnvironmentEntry]?
    /// A URL the node fetches (size- and time-limited) for more environment.
    public var environmentSource: String?
    public var volumes: [VolumeMount]?
    public var links: [LinkSpec]?
    /// The systemd slice to run in ("container", "container-small", "container-large", ...).
    public var slice: String?
    public var socketActivated: Bool?
    /// Run as the container's own Unix user with a private network namespace.
    public var isolate: Bool?
    /// Start right after installing.
    public var start: Bool?
    public var requestId: String?
    /// A runtime network to attach the container to (one made with `podman network create`, for
    /// example dual-stack) instead of the runtime's default network.
    public var network: String?
    /// When systemd restarts the container: "no" (the default, as with quadlet), "on-failure" or
    /// "always" (systemd's Restart=).
    public var restart: String?
    /// Pause before a restart (RestartSec=), seconds with at most three decimals.
    public var restartDelaySeconds: Double?
    /// Starts allowed within `restartIntervalSeconds` (StartLimitBurst=); one more is `start-limit-hit`.
    public var restartBurst: Int?
    /// The start-limit window (StartLimitIntervalSec=), seconds; 0 lifts the limit.
    public var restartIntervalSeconds: Int?
    /// The container's memory limit, bytes (the runtime's --memory).
    public var memory: Int?
    /// Memory plus swap, bytes, at least `memory` (the runtime's --memory-swap); needs `memory`.
    public var memorySwap: Int?
    /// A CPU quota in CPUs, e.g. 0.5 (the runtime's --cpus), at most three decimals.
    public var cpus: Double?
    /// The most tasks (processes and threads) the container may hold (the runtime's --pids-limit).
    public var pids: Int?
    public init(id: String, image: String, command: [String]? = nil, ports: [PortMapping]? = nil,
                environment: [EnvironmentEntry]? = nil, environmentSource: String? = nil, volumes: [VolumeMount]? = nil,
                links: [LinkSpec]? = nil, slice: String? = nil, socketActivated: Bool? = nil, isolate: Bool? = nil,
                start: Bool? = nil, requestId: String? = nil, network: String? = nil,
                restart: String? = nil, restartDelaySeconds: Double? = nil, restartBurst: Int? = nil,
                restartIntervalSeconds: Int? = nil, memory: Int? = nil, memorySwap: Int? = nil, cpus: Double? = nil,
                pids: Int? = nil) {
        self.restart = restart
        self.restartDelaySeconds = restartDelaySeconds
        self.restartBurst = restartBurst
        self.restartIntervalSeconds = restartIntervalSeconds
        self.memory = memory
        self.memorySwap = memorySwap
        self.cpus = cpus
        self.pids = pids
        self.id = id
        self.image = image
        self.command = command
        self.ports = ports
        self.environment = environment
        self.environmentSource = environmentSource
        self.volumes = volumes
        self.links = links
        self.slice = slice
        self.socketActivated = socketActivated
        self.isolate = isolate
        self.start = start
        self.requestId = requestId
        self.network = network
    }
}

/// Params of `container.start`, `container.restart`, `container.delete`, `container.status`,
/// `container.ports`, `container.env.get`, `container.links.get` (the read-only ones ignore requestId).
public struct ContainerRefParams: Codable, Hashable, Sendable {
    public var id: String
    public var requestId: String?
    public init(id: String, requestId: String? = nil) {
        self.id = id
        self.requestId = requestId
    }
}

/// Params of `container.stop`.
public struct ContainerStopParams: Codable, Hashable, Sendable {
    public var id: String
    /// Answer only once the unit is inactive (or the timeout passed: `timeout`).
    public var wait: Bool?
    public var timeoutSeconds: Int?
    public var requestId: String?
    public init(id: String, wait: Bool? = nil, timeoutSeconds: Int? = nil, requestId: String? = nil) {
        self.id = id
        self.wait = wait
        self.timeoutSeconds = timeoutSeconds
        self.requestId = requestId
    }
}

/// Params of `container.list`; both filters optional, combined with "and".
public struct ContainerListParams: Codable, Hashable, Sendable {
    public var state: String?
    public var ids: [String]?
    public init(state: String? = nil, ids: [String]? = nil) {
        self.state = state
        self.ids = ids
    }
}

/// Result of `container.list`, sorted by id.
public struct ContainerListResult: Codable, Hashable, Sendable {
    public var containers: [ContainerStatus]
    public init(containers: [ContainerStatus]) { self.containers = containers }
    enum CodingKeys: String, CodingKey { case containers }

    /// The result's JSON from its containers' JSON (each the canonical encoding of a `ContainerStatus`).
    public static func encoded(_ containers: [EncodedJSON]) -> EncodedJSON {
        EncodedJSON(member: CodingKeys.containers.rawValue, array: containers)
    }
}

/// Result of `container.ports`.
public struct ContainerPortsResult: Codable, Hashable, Sendable {
    public var id: String
    public var ports: [PortMapping]
    public init(id: String, ports: [PortMapping]) {
        self.id = id
        self.ports = ports
    }
}

/// Result of `container.env.get`, `.set` and `.patch`: the whole environment afterwards.
public struct ContainerEnvResult: Codable, Hashable, Sendable {
    public var id: String
    public var environment: [EnvironmentEntry]
    public var environmentSource: String?
    /// True when the change reaches the container only at its next start (env.set/patch).
    public var appliesOnNextStart: Bool?
    public init(id: String, environment: [EnvironmentEntry], environmentSource: String? = nil, appliesOnNextStart: Bool? = nil) {
        self.appliesOnNextStart = appliesOnNextStart
        self.id = id
        self.environment = environment
        self.environmentSource = environmentSource
    }
}

/// Params of `container.env.set`: replaces the whole environment.
public struct ContainerEnvSetParams: Codable, Hashable, Sendable {
    public var id: String
    public var environment: [EnvironmentEntry]
    public var environmentSource: String?
    public var requestId: String?
    public init(id: String, environment: [EnvironmentEntry], environmentSource: String? = nil, requestId: String? = nil) {
        self.id = id
        self.environment = environment
        self.environmentSource = environmentSource
        self.requestId = requestId
    }
}

/// Params of `container.env.patch`: sets (replacing same-named) then unsets.
public struct ContainerEnvPatchParams: Codable, Hashable, Sendable {
    public var id: String
    public var set: [EnvironmentEntry]?
    public var unset: [String]?
    public var requestId: String?
    public init(id: String, set: [EnvironmentEntry]? = nil, unset: [String]? = nil, requestId: String? = nil) {
        self.id = id
        self.set = set
        self.unset = unset
        self.requestId = requestId
    }
}

/// Result of `container.links.get` and `.set`.
public struct ContainerLinksResult: Codable, Hashable, Sendable {
    public var id: String
    public var links: [LinkSpec]
    public init(id: String, links: [LinkSpec]) {
        self.id = id
        self.links = links
    }
}

/// Params of `container.links.set`: replaces all links; applied at once on a running container.
public struct ContainerLinksSetParams: Codable, Hashable, Sendable {
    public var id: String
    public var links: [LinkSpec]
    public var requestId: String?
    public init(id: String, links: [LinkSpec], requestId: String? = nil) {
        self.id = id
        self.links = links
        self.requestId = requestId
    }
}
