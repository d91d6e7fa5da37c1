import BerthProtocol

/// The container runtime a unit drives.
public enum ContainerRuntime: String, Hashable, Sendable, Codable, CaseIterable {
    case podman
    case docker
}

/// How the container's service is shaped (geard's SIMPLE, FOREGROUND and SOCKETACTIVATED).
public enum ContainerUnitShape: String, Hashable, Sendable, Codable, CaseIterable {
    /// The runtime detaches and reports readiness (podman: `Type=notify`, `--sdnotify=conmon`).
    /// Docker has no equivalent: its simple shape is the attached one.
    case simple
    /// The runtime stays attached in the foreground (`Type=simple`).
    case foreground
    /// Started on the first connection: see `SocketActivation`.
    case socketActivated = "socket-activated"
}

/// Hardening for an isolated container: it runs as `uid:gid`, with no capabilities, no new
/// privileges and a read-only root, and starts through the Berth init and cmd scripts.
public struct ContainerIsolation: Hashable, Sendable, Codable {
    public var uid: UInt32
    public var gid: UInt32
    /// The host path of the rendered `container-init.sh`.
    public var initScriptPath: String
    /// The host path of the rendered `container-cmd.sh`.
    public var cmdScriptPath: String

    public init(uid: UInt32, gid: UInt32, initScriptPath: String, cmdScriptPath: String) {
        self.uid = uid
        self.gid = gid
        self.initScriptPath = initScriptPath
        self.cmdScriptPath = cmdScriptPath
    }

    enum CodingKeys: String, CodingKey { case uid, gid, initScriptPath, cmdScriptPath }

    /// Where the scripts appear inside the container.
    public static let initMountPoint = "/.berth/init"
    public static let cmdMountPoint = "/.berth/cmd"
}

/// Socket activation through the host's `systemd-socket-proxyd`: per external port, a socket unit
/// listens on the host, and its proxy service (which Requires= and is After= the container's unit)
/// forwards to `127.0.0.1:<backend port>`, where the container publishes the internal port.
/// The container's unit counts as started only once every backend port accepts connections.
public struct SocketActivation: Hashable, Sendable, Codable {
    /// The loopback port the container publishes each internal port on, keyed by external port.
    public var backendPorts: [UInt16: UInt16]
    /// The argv that waits for a port; `127.0.0.1` and the backend port are appended. `nil` uses a
    /// fixed bash probe (`/dev/tcp`) that takes the port as a positional argument.
    public var waitCommand: [String]?
    /// Stops the proxy (not the container) after this many idle seconds; `nil` never.
    public var proxyExitIdleSeconds: Int?

    public init(backendPorts: [UInt16: UInt16], waitCommand: [String]? = nil, proxyExitIdleSeconds: Int? = nil) {
        self.backendPorts = backendPorts
        self.waitCommand = waitCommand
        self.proxyExitIdleSeconds = proxyExitIdleSeconds
    }

    enum CodingKeys: String, CodingKey { case backendPorts, waitCommand, proxyExitIdleSeconds }
}

/// Everything needed to render one container's units. Paths are plain strings (the node takes
/// them from its Layout); every field is validated when rendering.
public struct ContainerUnitSpec: Hashable, Sendable {
    public var id: Identifier
    public var image: String
    /// Arguments after the image (the container's command); never read as runtime options.
    public var command: [String]
    public var ports: [PortPair]
    /// The container's variables in the runtime's own `--env-file` format (`RuntimeEnvironmentFile`):
    /// the runtime reads the file and sets the variables in the container only, so its own process
    /// environment stays the one the unit gives it, whatever names the container uses.
    public var environmentFilePath: String?
    public var volumes: [VolumeMount]
    /// A slice unit name, e.g. `berth-small.slice`.
    public var slice: String?
    /// The runtime network to attach to (`--network=NAME`); nil for the runtime's default.
    public var network: String?
    public var isolation: ContainerIsolation?
    public var requestId: String?
    public var runtime: ContainerRuntime
    /// The runtime's CLI, e.g. `/usr/bin/podman`, `/usr/local/bin/docker`.
    public var runtimePath: String
    public var shape: ContainerUnitShape
    /// Run after the container started, before the unit counts as started (the node applies the
    /// network links with it). Its first element is an absolute path.
    public var postStartCommand: [String]?
    /// Docker only: the `DOCKER_HOST` the CLI talks to.
    public var dockerHost: String?
    /// Required when `shape == .socketActivated`.
    public var socketActivation: SocketActivation?
    /// Runs the container under a tiny init (`--init`), so images whose PID 1 ignores SIGTERM stop
    /// promptly.
    public var useInit: Bool
    /// Seconds the runtime waits after SIGTERM before it kills the container.
    public var stopTimeoutSeconds: Int
    /// The target whose `.wants` enables the unit (start on boot); socket-activated containers are
    /// not enabled themselves, their sockets are (`berth-sockets.target`).
    public var wantedBy: String
    /// Ordering and weak dependencies on what the runtime needs.
    public var after: [String]
    public var wants: [String]
    /// The helper programs the unit runs (`rm`, `bash`); the runtime is `runtimePath`.
    public var tools: UnitTools
    /// Where the unit's and the container's output go; nil leaves them to the manager and the
    /// runtime's defaults.
    public var log: ContainerLogSpec?
    /// When systemd restarts the unit; nil renders no restart lines (systemd's defaults).
    public var restart: RestartPolicy?
    /// Limits on the container's processes, given to the runtime.
    public var limits: ResourceLimits?

    public init(id: Identifier, image: String, command: [String] = [], ports: [PortPair] = [],
                environmentFilePath: String? = nil, volumes: [VolumeMount] = [], slice: String? = nil,
                isolation: ContainerIsolation? = nil, requestId: String? = nil,
                runtime: ContainerRuntime = .podman, runtimePath: String? = nil,
                shape: ContainerUnitShape = .simple, postStartCommand: [String]? = nil,
                dockerHost: String? = nil, socketActivation: SocketActivation? = nil,
                useInit: Bool = true, stopTimeoutSeconds: Int = 10,
                wantedBy: String = SharedUnits.activeTarget,
                after: [String]? = nil, wants: [String]? = nil, network: String? = nil, tools: UnitTools = UnitTools(),
                log: ContainerLogSpec? = nil, restart: RestartPolicy? = nil, limits: ResourceLimits? = nil) {
        self.id = id
        self.restart = restart
        self.limits = limits
        self.log = log
        self.tools = tools
        self.network = network
        self.image = image
        self.command = command
        self.ports = ports
        self.environmentFilePath = environmentFilePath
        self.volumes = volumes
        self.slice = slice
        self.isolation = isolation
        self.requestId = requestId
        self.runtime = runtime
        self.runtimePath = runtimePath ?? ContainerUnitSpec.defaultRuntimePath(runtime)
        self.shape = shape
        self.postStartCommand = postStartCommand
        self.dockerHost = dockerHost
        self.socketActivation = socketActivation
        self.useInit = useInit
        self.stopTimeoutSeconds = stopTimeoutSeconds
        self.wantedBy = wantedBy
        self.after = after ?? ContainerUnitSpec.defaultAfter(runtime)
        self.wants = wants ?? ContainerUnitSpec.defaultWants(runtime)
    }

    /// podman's own systemd shape: `Type=notify`, conmon sends READY=1 once the container runs.
    var usesNotify: Bool { runtime == .podman && shape != .foreground }

    /// Whether systemd's start job ends only once the container is up: podman's notify shape and
    /// socket activation (its port wait). The attached shapes (docker; podman `foreground`) are
    /// `Type=simple`, whose job is done as soon as the CLI was forked, before the container exists.
    public var reportsReadiness: Bool { usesNotify || shape == .socketActivated }

    public static func defaultRuntimePath(_ runtime: ContainerRuntime) -> String {
        switch runtime {
        case .podman: "/usr/bin/podman"
        case .docker: "/usr/bin/docker"
        }
    }

    /// Podman is daemonless: it only needs the network. The docker CLI needs its engine; `After=`
    /// a unit that does not exist (a remote `DOCKER_HOST`) is harmless, so it is always named.
    public static func defaultAfter(_ runtime: ContainerRuntime) -> [String] {
        switch runtime {
        case .podman: ["network-online.target"]
        case .docker: ["network-online.target", "docker.service", "docker.socket"]
        }
    }

    public static func defaultWants(_ runtime: ContainerRuntime) -> [String] {
        ["network-online.target"]
    }
}
