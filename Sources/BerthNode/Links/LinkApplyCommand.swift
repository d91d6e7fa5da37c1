import BerthCore
import BerthProtocol
import BerthSystem

/// `berthd links-apply`: what a container's unit runs as `ExecStartPost=` so that its stored links
/// are in its network namespace before systemd counts it as started, on every start and restart
/// (systemd's own `Restart=` included; each start is a new namespace).
///
/// It reads the links file the node stores (`ContainerPaths.linksFile`), resolves the links, finds
/// the container's first process through the runtime (podman's notify shape reports conmon as the
/// unit's MainPID, so the unit's PID is not the container's), and applies them with
/// `ContainerLinks`. Any failure is printed to standard error (the journal) and exits non-zero,
/// which fails the start.
public struct LinkApplyCommand: Hashable, Sendable {
    public var linksFile: String
    /// The runtime's container name, `ctr-<id>`.
    public var container: String
    public var runtime: ContainerRuntime
    public var runtimePath: String
    public var hostAddressIPv4: String?
    public var hostAddressIPv6: String?
    /// How long to wait for the container's process: with `Type=simple` units the hook runs as soon
    /// as the runtime CLI was forked, before the container exists.
    public var waitSeconds: Int

    public init(linksFile: String, container: String, runtime: ContainerRuntime, runtimePath: String,
                hostAddressIPv4: String? = nil, hostAddressIPv6: String? = nil, waitSeconds: Int = 30) {
        self.linksFile = linksFile
        self.container = container
        self.runtime = runtime
        self.runtimePath = runtimePath
        self.hostAddressIPv4 = hostAddressIPv4
        self.hostAddressIPv6 = hostAddressIPv6
        self.waitSeconds = waitSeconds
    }

    public static let subcommand = "links-apply"
    public static let usage = "usage: berthd links-apply --links-file FILE --container NAME --runtime podman|docker --runtime-path PATH [--host-ipv4 ADDR] [--host-ipv6 ADDR] [--wait SECONDS]"

    /// The arguments after the subcommand, as `arguments` parses them.
    public var arguments: [String] {
        var argv = ["--links-file", linksFile, "--container", container, "--runtime", runtime.rawValue,
                    "--runtime-path", runtimePath]
        if let hostAddressIPv4 { argv += ["--host-ipv4", hostAddressIPv4] }
        if let hostAddressIPv6 { argv += ["--host-ipv6", hostAddressIPv6] }
        return argv
    }

    /// Parses the arguments after `links-apply`.
    public init(parsing arguments: [String]) throws(ConfigurationError) {
        var values: [String: String] = [:]
        var k = 0
        let known: Set<String> = ["--links-file", "--container", "--runtime", "--runtime-path", "--host-ipv4", "--host-ipv6", "--wait"]
        while k < arguments.count {
            let key = arguments[k]
            guard known.contains(key) else { throw ConfigurationError("links-apply: unknown argument '\(key)'") }
            guard k + 1 < arguments.count else { throw ConfigurationError("links-apply: \(key) needs a value") }
            values[key] = arguments[k + 1]
            k += 2
        }
        func required(_ key: String) throws(ConfigurationError) -> String {
            guard let value = values[key], !value.isEmpty else { throw ConfigurationError("links-apply: \(key) is required") }
            return value
        }
        let runtimeName = try required("--runtime")
        guard let runtime = ContainerRuntime(rawValue: runtimeName) else {
            throw ConfigurationError("links-apply: --runtime must be podman or docker, got '\(runtimeName)'")
        }
        for key in ["--host-ipv4", "--host-ipv6"] {
            if let value = values[key], !(key == "--host-ipv4" ? HostSyntax.isIPv4(value) : HostSyntax.isIPv6(value)) {
                throw ConfigurationError("links-apply: \(key) must be an IP address of that family, got '\(value)'")
            }
        }
        guard let wait = Int(values["--wait"] ?? "30"), (0...600).contains(wait) else {
            throw ConfigurationError("links-apply: --wait must be 0-600 seconds")
        }
        self.init(linksFile: try required("--links-file"), container: try required("--container"), runtime: runtime,
                  runtimePath: try required("--runtime-path"), hostAddressIPv4: values["--host-ipv4"],
                  hostAddressIPv6: values["--host-ipv6"], waitSeconds: wait)
    }

    /// This process's executable (`/proc/self/exe`), when its path can be a unit's executable
    /// (absolute, of `[A-Za-z0-9_+:,./-]`; a replaced binary reads `... (deleted)` and is refused).
    public static func currentExecutable() -> String? {
        guard let path = FileSystem.linkTarget("/proc/self/exe") else { return nil }
        let safe = path.hasPrefix("/") && path.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) || "_+:,./-".utf8.contains($0)
        }
        return safe ? path : nil
    }

    /// The runtime CLI's environment: a fixed `PATH`, and only the variables that tell the runtime
    /// where its containers are. The unit starts the hook with exactly these (`env -i`, see
    /// `ContainerEngine.linkHook`); filtering again keeps anything else out should it be run otherwise.
    public static func runtimeEnvironment(from inherited: [String: String]) -> [String: String] {
        var environment = LinkApplier.defaultEnvironment
        for name in ["CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_HOST"] {
            if let value = inherited[name], !value.isEmpty { environment[name] = value }
        }
        return environment
    }

    /// Where a failed run leaves its reason for the node (`<links file>.error`), so that a start
    /// that failed because of its links is reported as `link_failed` with the reason, not only as
    /// systemd's "control process exited". A successful run removes it.
    public static func errorFile(forLinksFile path: String) -> String { path + ".error" }

    /// Applies the stored links; throws the first failure.
    public func run(environment inherited: [String: String]) async throws(LinkError) -> [ResolvedLink] {
        let containerLinks = ContainerLinks(resolver: LinkResolver(hostAddressIPv4: hostAddressIPv4, hostAddressIPv6: hostAddressIPv6))
        let lookup = ContainerProcessLookup(runtime: runtime, executable: runtimePath,
                                            environment: LinkApplyCommand.runtimeEnvironment(from: inherited))
        let deadline = ContinuousClock.now + .seconds(waitSeconds)
        var pid: Int32
        while true {
            do {
                pid = try await lookup.pid(ofContainer: container)
                break
            } catch where error.kind == .noProcess && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        // Read and apply under the lock the node's live changes take, so a change made while this
        // start runs is never undone by an older file read here.
        let lock = try await LinkFileLock.acquire(linksFile: linksFile)
        defer { lock.close() }
        let resolved = try await containerLinks.resolver.resolve(try LinkStoreFile.read(linksFile))
        try await containerLinks.applier.apply(resolved, pid: pid)
        return resolved
    }
}

/// The stored form of a container's links: a JSON array of `NetworkLink`s in `links.json`
/// (`{"fromHost","fromPort","toHost","toPort"}`), written atomically by the node.
public enum LinkStoreFile {
    /// The links in `path`; none when the file does not exist. Decoding validates every link.
    public static func read(_ path: String) throws(LinkError) -> [NetworkLink] {
        do {
            guard let bytes = try FileSystem.readIfExists(path, limit: 4 << 20) else { return [] }
            return try JSONValueDecoder().decode([NetworkLink].self, from: try JSONParser.parse(bytes))
        } catch {
            throw LinkError(.invalid, "cannot read the links in \(path): \(error)")
        }
    }

    public static func encode(_ links: [NetworkLink]) throws -> [UInt8] {
        try JSONValueEncoder().encode(links).serialized() + [0x0A]
    }
}
