import BerthCore
import BerthSystem

/// The container runtime the node's units drive: podman (default) or the docker CLI, which here
/// talks to podman's Docker-compatible API (`podman system service`) through `DOCKER_HOST`.
public struct RuntimeConfiguration: Hashable, Sendable {
    public var runtime: ContainerRuntime
    /// The runtime CLI's absolute path.
    public var path: String
    /// Docker only: written into each unit as `Environment=DOCKER_HOST=...`.
    public var dockerHost: String?
    // No CONTAINERS_CONF here: it reaches podman through the manager's environment
    // (`EmbeddedManager.start(containersConf:)`), not through the units.

    public init(runtime: ContainerRuntime, path: String? = nil, dockerHost: String? = nil) {
        self.runtime = runtime
        self.path = path ?? ContainerUnitSpec.defaultRuntimePath(runtime)
        self.dockerHost = dockerHost
    }

    /// podman when `/usr/bin/podman` exists, else docker.
    public static func detect() -> RuntimeConfiguration {
        RuntimeConfiguration(runtime: FileSystem.exists("/usr/bin/podman") ? .podman : .docker)
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
}
