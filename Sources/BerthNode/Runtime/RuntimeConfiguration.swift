import BerthCore
import BerthSystem

/// The container runtime the node's units drive: podman (default) or the docker CLI, which here
/// talks to podman's Docker-compatible API (`podman system service`) through `DOCKER_HOST`; and
/// every other program those units run. berthd fills it with `resolve` once at start-up, so each
/// unit names an absolute path that was checked to be executable.
public struct RuntimeConfiguration: Hashable, Sendable {
    public var runtime: ContainerRuntime
    /// The runtime CLI's absolute path.
    public var path: String
    /// Docker only: written into each unit as `Environment=DOCKER_HOST=...`.
    public var dockerHost: String?
    // No CONTAINERS_CONF here: it reaches podman through the manager's environment
    // (`EmbeddedManager.start(containersConf:)`), not through the units.
    /// The podman that serves the Docker API (`berth-podman-api.service`): set for the docker
    /// runtime on the embedded manager with a `unix://` `dockerHost`, where the node runs that unit.
    public var podmanAPIServer: String?
    /// The helper programs the container units run.
    public var tools: UnitTools

    public init(runtime: ContainerRuntime, path: String? = nil, dockerHost: String? = nil,
                podmanAPIServer: String? = nil, tools: UnitTools = UnitTools()) {
        self.runtime = runtime
        self.path = path ?? ContainerUnitSpec.defaultRuntimePath(runtime)
        self.dockerHost = dockerHost
        self.podmanAPIServer = podmanAPIServer
        self.tools = tools
    }

    /// The unit that serves podman's Docker API on `socketPath`, for the docker runtime on hosts
    /// without a Docker engine. Its only input, the path, is checked for safe characters.
    public static func podmanAPIUnit(socketPath: String, podman: String = "/usr/bin/podman") throws -> RenderedUnit {
        guard socketPath.hasPrefix("/"), socketPath.utf8.allSatisfy({ EmbeddedManager.safePathByte($0) }) else {
            throw ManagerError("podman API socket path \(String(reflecting: socketPath)) must be absolute, of [A-Za-z0-9_./-]")
        }
        let text = """
            # Rendered by Berth; berthd rewrites this file.
            [Unit]
            Description=Berth: podman's Docker API for the docker runtime

            [Service]
            Type=simple
            ExecStart=\(podman) system service --time=0 unix://\(socketPath)

            """
        return RenderedUnit(name: podmanAPIUnitName, text: text)
    }

    public static let podmanAPIUnitName = "berth-podman-api.service"

    /// The `unix://` socket path of `dockerHost` when the node serves podman's Docker API there.
    public var podmanAPISocket: String? {
        podmanAPIServer == nil ? nil : RuntimeConfiguration.podmanAPISocket(runtime: runtime, dockerHost: dockerHost)
    }

    /// Where podman's Docker API can be served for this runtime: the docker runtime with a
    /// `unix://` `dockerHost`, its path. The one test of that condition, for `resolve` and the unit.
    static func podmanAPISocket(runtime: ContainerRuntime, dockerHost: String?) -> String? {
        guard runtime == .docker, let host = dockerHost, host.hasPrefix("unix://") else { return nil }
        return String(host.dropFirst("unix://".count))
    }

    /// Every program the units run, by role, as `node.info` shows them (`tools`).
    public var toolPaths: [String: String] {
        var paths = ["runtime": path, "remove": tools.remove, "shell": tools.shell, "env": tools.env,
                     "socketProxy": tools.socketProxy]
        if let podmanAPIServer { paths["podmanAPI"] = podmanAPIServer }
        return paths
    }
}
