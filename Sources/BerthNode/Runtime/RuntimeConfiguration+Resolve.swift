import BerthCore
import BerthSystem

extension RuntimeConfiguration {
    /// Where `systemd-socket-proxyd` lives: systemd's library directory, which is not on `PATH`.
    public static let socketProxySearchPath = "/lib/systemd:/usr/lib/systemd"

    /// Resolves the runtime and every program its units will run, once, before the node starts
    /// anything: a configured path must be executable; anything else is searched in `searchPath`
    /// (the node's `PATH`). A unit that names a program which is not there fails the moment it
    /// starts, so a missing one refuses the start-up instead, naming each that is missing.
    ///
    /// - `runtime` nil (`auto`): podman when `searchPath` has it, else docker.
    /// - `servesPodmanAPI`: the docker runtime on the embedded manager, which runs
    ///   `berth-podman-api.service` for `dockerHost`; it needs podman too.
    public static func resolve(runtime requested: ContainerRuntime?, runtimePath configured: String? = nil,
                               dockerHost: String? = nil, servesPodmanAPI: Bool = false,
                               searchPath: String) throws(ConfigurationError) -> RuntimeConfiguration {
        if requested == nil, configured != nil {
            throw ConfigurationError("--runtime-path needs --runtime podman|docker (auto would have to guess what it is)")
        }
        let runtime = requested ?? (ExecutableSearch.find("podman", in: searchPath) != nil ? .podman : .docker)
        var missing: [String] = []
        func find(_ name: String, in path: String = searchPath, why: String) -> String {
            if let found = ExecutableSearch.find(name, in: path) { return found }
            missing.append("\(name) (\(why); not found in \(path))")
            return "/nonexistent/\(name)"
        }
        let runtimePath: String
        if let configured {
            runtimePath = configured
            if !configured.hasPrefix("/") || !ExecutableSearch.isExecutable(configured) {
                missing.append("\(configured) (--runtime-path: not an executable file)")
            }
        } else {
            runtimePath = find(runtime.rawValue, why: "the \(runtime.rawValue) runtime's CLI; or set --runtime-path")
        }
        let docker = runtime == .docker
        let apiServer = servesPodmanAPI && podmanAPISocket(runtime: runtime, dockerHost: dockerHost) != nil
            ? find("podman", why: "serves the Docker API the docker CLI talks to") : nil
        let tools = UnitTools(
            remove: find("rm", why: "podman units remove their stale cidfile"),
            shell: find("bash", why: "socket-activated units wait for their port"),
            env: find("env", why: "the links hook runs through env -i"),
            socketProxy: find("systemd-socket-proxyd", in: socketProxySearchPath + ":" + searchPath,
                              why: "socket-activated containers' proxy"))
        guard missing.isEmpty else {
            throw ConfigurationError("cannot run containers: missing " + missing.joined(separator: ", "))
        }
        return RuntimeConfiguration(runtime: runtime, path: runtimePath, dockerHost: docker ? dockerHost : nil,
                                    podmanAPIServer: apiServer, tools: tools)
    }
}
