@testable import BerthCore
import BerthProtocol

/// The specs the golden files are rendered from. The post-start command names the node binary at
/// /usr/local/bin/berthd; verify-goldens.sh maps it (and the docker CLI) to paths that exist.
enum RenderFixtures {
    static let web = try! Identifier("web")
    static let berthd = "/usr/local/bin/berthd"

    static func spec(_ runtime: ContainerRuntime, _ shape: ContainerUnitShape) -> ContainerUnitSpec {
        var ports = [PortPair(internal: 8080, external: 18080)]
        var activation: SocketActivation? = nil
        if shape == .socketActivated {
            ports.append(PortPair(internal: 8443, external: 18443))
            activation = SocketActivation(backendPorts: [18080: 28080, 18443: 28443], proxyExitIdleSeconds: 600)
        }
        return ContainerUnitSpec(
            id: web, image: "localhost/busybox:latest",
            command: ["httpd", "-f", "-p", "8080", "-h", "/var/www"],
            ports: ports, environmentFilePath: "/var/lib/berth/env/web",
            volumes: [VolumeMount(hostPath: "/var/lib/berth/volumes/web", containerPath: "/var/www", readOnly: true)],
            slice: SharedUnits.smallSlice, requestId: "req-0001", runtime: runtime, shape: shape,
            postStartCommand: linksHook(runtime, linksFile: "/var/lib/berth/containers/web/links.json", container: "ctr-web"),
            dockerHost: runtime == .docker ? "unix:///run/berth/podman.sock" : nil,
            socketActivation: activation)
    }

    /// The node's links hook as BerthNode's `ContainerLinkService.hook` renders it.
    static func linksHook(_ runtime: ContainerRuntime, linksFile: String, container: String) -> [String] {
        ["/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CONTAINERS_CONF=/etc/berth/containers.conf",
         berthd, "links-apply", "--links-file", linksFile, "--container", container, "--runtime", runtime.rawValue,
         "--runtime-path", ContainerUnitSpec.defaultRuntimePath(runtime), "--host-ipv4", "10.88.0.1"]
    }

    static func isolated(_ runtime: ContainerRuntime) -> ContainerUnitSpec {
        var spec = spec(runtime, .simple)
        spec.command = []
        spec.isolation = ContainerIsolation(uid: 40001, gid: 40001,
                                            initScriptPath: "/run/berth/web/container-init.sh",
                                            cmdScriptPath: "/run/berth/web/container-cmd.sh")
        return spec
    }

    /// Every argument, the request id and the env path are hostile; none may escape its word.
    static func hostile() -> ContainerUnitSpec {
        var spec = spec(.podman, .simple)
        spec.id = try! Identifier("evil.1_x-y")
        spec.command = ["sh", "-c", "echo $HOME; rm -rf / # %n", "a b", "\"", "'", "\\", ";", "--privileged",
                        "line\nExecStartPre=/bin/false", "tab\tand\u{1B}esc", "%%", "$$", ""]
        spec.requestId = "100%-sure"
        spec.environmentFilePath = "/var/lib/berth/env/evil 1;$x%y"
        spec.postStartCommand = linksHook(.podman, linksFile: "/var/lib/berth/containers/evil 1;$x%y/links.json",
                                          container: "ctr-evil.1_x-y") + ["--", "$(id)", "%i"]
        return spec
    }
}
