import BerthSystem

/// A private systemd manager (`systemd --user`, isolated) that berthd starts, owns and stops, for
/// hosts where PID 1 is not systemd. The recipe of Scripts/lib/manager.sh (berthd ships without
/// that file, hence this copy; change both: EmbeddedManagerRecipeTests stops a manager started here
/// with the script, through the same directory layout, pid and cgroup files and client environment):
///
/// - its own child cgroup in every hierarchy, entered before systemd starts (never the root
///   cgroup: systemd would take `/` as its root and move every process of the host into
///   `/init.scope`);
/// - its own mount namespace with a tmpfs `/run/systemd` holding `system/` (without it
///   `systemd --user` exits at once), propagation unchanged so podman's `/run/netns` mounts stay
///   visible on the host;
/// - a private unit directory, `XDG_RUNTIME_DIR` and `XDG_CONFIG_HOME`.
///
/// One difference: units get the fixed `ServiceManagerHandle.path` as `PATH`, not the caller's.
///
/// The scripts are constant text: the directory and cgroup name arrive as positional arguments.
///
/// `manager.cgroup` and `manager.pid` in the directory record what was started, so a node that was
/// killed can be followed by one that adopts or stops its manager (`EmbeddedManager+Adoption`).
public final class EmbeddedManager: Sendable {
    public let directory: String
    public let cgroup: String
    public let pid: Int32

    /// The handle clients use to talk to this manager.
    public var handle: ServiceManagerHandle { EmbeddedManager.handle(directory: directory) }

    /// The handle of the manager whose state lives in `directory` (for another process of the node).
    public static func handle(directory: String) -> ServiceManagerHandle {
        ServiceManagerHandle(mode: .embedded, unitDir: "\(directory)/units",
                             environment: [
                                "PATH": ServiceManagerHandle.path,
                                "XDG_RUNTIME_DIR": "\(directory)/xdg",
                                "XDG_CONFIG_HOME": "\(directory)/config",
                                "SYSTEMD_UNIT_PATH": "\(directory)/units:",
                             ],
                             userScope: true, rootTarget: EmbeddedManager.rootTarget)
    }

    public static let rootTarget = "berth-root.target"

    init(directory: String, cgroup: String, pid: Int32) {
        self.directory = directory
        self.cgroup = cgroup
        self.pid = pid
    }

    /// Starts a manager whose state lives in `directory` (an absolute path of safe characters) and
    /// waits until it accepts clients.
    /// A node should call `open`, which first deals with a manager a killed node left behind.
    public static func start(directory: String, containersConf: String? = nil,
                             timeout: Duration = .seconds(10)) async throws -> EmbeddedManager {
        try checkDirectory(directory)
        for sub in ["", "/xdg", "/units", "/config"] { try FileSystem.createDirectory(directory + sub, mode: 0o700) }
        try FileSystem.writeAtomically(Array("".utf8), to: "\(directory)/console.log", mode: 0o600)
        try FileSystem.writeAtomically(Array("[Unit]\nDescription=Berth private manager root\nDefaultDependencies=no\n".utf8),
                                       to: "\(directory)/units/\(rootTarget)")
        try FileSystem.writeAtomically(Array(innerScript.utf8), to: "\(directory)/inner.sh", mode: 0o755)
        let cgroup = "berth-mgr-\(Processes.currentID)-\(UInt32.random(in: 0...UInt32.max))"
        // The records are written before what they name exists (the cgroup) or as soon as it is
        // known (the pid), each atomically: a node killed at any moment leaves its successor enough
        // to find the manager. The old pid goes first so the two files never name different managers.
        try FileSystem.remove(pidFile(directory))
        try FileSystem.writeAtomically(Array("\(cgroup)\n".utf8), to: cgroupFile(directory))
        // A socket left by a manager that is gone would pass the readiness check below at once.
        try FileSystem.remove(privateSocket(directory))

        // /run/netns must be a shared mount before the manager's namespace copies it.
        if !FileSystem.exists("/run/netns") {
            let name = "berth-prime-\(Processes.currentID)"
            _ = try await ProcessRunner.run(ProcessRequest("/sbin/ip", ["netns", "add", name], timeout: .seconds(10)))
            _ = try await ProcessRunner.run(ProcessRequest("/sbin/ip", ["netns", "del", name], timeout: .seconds(10)))
        }
        let hierarchies = try cgroupHierarchies()
        for h in hierarchies {
            try FileSystem.createDirectory("\(h)/\(cgroup)")
            for file in ["cpuset.cpus", "cpuset.mems"] where FileSystem.exists("\(h)/\(file)") {
                let value = try FileSystem.read("\(h)/\(file)", limit: 4096)
                try FileSystem.writeControl(value, to: "\(h)/\(cgroup)/\(file)")
            }
        }
        var env = ["PATH": ServiceManagerHandle.path]
        env["CONTAINERS_CONF"] = containersConf ?? ""
        let launch = try await ProcessRunner.run(ProcessRequest(
            "/bin/bash", ["-c", launcherScript, "berth-manager", "\(directory)/inner.sh", directory, cgroup],
            environment: env, timeout: .seconds(10)))
        guard launch.succeeded, let line = launch.stdoutText.split(separator: "\n").first, let pid = Int32(line) else {
            removeCgroups(cgroup, hierarchies: hierarchies)
            throw ManagerError("could not launch the embedded manager: \(launch.status) \(launch.stderrText)")
        }
        let manager = EmbeddedManager(directory: directory, cgroup: cgroup, pid: pid)
        try FileSystem.writeAtomically(Array("\(pid)\n".utf8), to: pidFile(directory))
        guard await manager.isReady(timeout: timeout) else {
            await manager.stop()
            throw ManagerError("the embedded manager did not come up; see \(directory)/console.log")
        }
        return manager
    }

    /// Waits (up to `timeout`) until the manager answers on its private socket with its root target
    /// active: the socket alone appears while systemd is still starting that target. A manager that
    /// is stopped or wedged accepts the connection but never replies; the call's own timeout (5 s)
    /// ends that wait. Shared by a fresh start and by adoption, so both mean the same by "ready".
    func isReady(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        let client = SystemctlClient(handle: handle, timeout: .seconds(5))
        let root = EmbeddedManager.rootTarget
        while Processes.isRunning(pid), ContinuousClock.now < deadline {
            // A manager still starting may refuse or time out a call: ask again until the deadline.
            if FileSystem.exists(EmbeddedManager.privateSocket(directory)),
               let state = try? await client.show([root], properties: ["ActiveState"])[root]?["ActiveState"], state == "active" {
                return true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Stops the manager (and with it every unit) by its PID, waits for it, kills anything left in
    /// its own cgroup by PID and removes the cgroup directories. The PID is signalled only while it
    /// still lives in the manager's cgroup (after a crash it may name another process by now); a
    /// SIGCONT follows the SIGTERM so a stopped manager wakes up to stop its units.
    public func stop(timeout: Duration = .seconds(10)) async {
        if isInOwnCgroup(pid), Processes.send(.terminate, to: pid) {
            Processes.send(.resume, to: pid)
            let deadline = ContinuousClock.now + timeout
            while Processes.isRunning(pid), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if isInOwnCgroup(pid) { Processes.send(.kill, to: pid) }
        }
        let hierarchies = (try? EmbeddedManager.cgroupHierarchies()) ?? []
        // Everything in the cgroup is the manager's (the name is unique to it): killed by PID until
        // none is left, so the directories can go.
        let deadline = ContinuousClock.now + .seconds(5)
        while case let left = processesInCgroup(hierarchies), !left.isEmpty, ContinuousClock.now < deadline {
            for p in left where p > 1 { Processes.send(.kill, to: p) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        EmbeddedManager.removeCgroups(cgroup, hierarchies: hierarchies)
    }

    /// The live processes anywhere in the manager's cgroup trees (systemd moves itself and its units
    /// into child cgroups of its own).
    func processesInCgroup(_ hierarchies: [String]) -> Set<Int32> {
        var found = Set<Int32>()
        func walk(_ path: String) {
            if let text = try? FileSystem.read("\(path)/cgroup.procs", limit: 1 << 20) {
                for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
                    if let p = Int32(line), Processes.isRunning(p) { found.insert(p) }
                }
            }
            for name in (try? FileSystem.list(path)) ?? [] where FileSystem.isDirectory("\(path)/\(name)") { walk("\(path)/\(name)") }
        }
        for h in hierarchies { walk("\(h)/\(cgroup)") }
        return found
    }

    /// Whether `pid` is a live process in this manager's cgroup, by `/proc/PID/cgroup`.
    func isInOwnCgroup(_ pid: Int32) -> Bool {
        guard pid > 1, Processes.isRunning(pid), let text = try? FileSystem.read("/proc/\(pid)/cgroup", limit: 1 << 16) else { return false }
        return String(decoding: text, as: UTF8.self).split(separator: "\n").contains { line in
            let path = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last ?? ""
            return path == "/\(cgroup)" || path.hasPrefix("/\(cgroup)/")
        }
    }

    static func pidFile(_ directory: String) -> String { "\(directory)/manager.pid" }
    static func cgroupFile(_ directory: String) -> String { "\(directory)/manager.cgroup" }
    static func privateSocket(_ directory: String) -> String { "\(directory)/xdg/systemd/private" }

    static func checkDirectory(_ directory: String) throws {
        guard directory.hasPrefix("/"), directory.utf8.allSatisfy({ safePathByte($0) }) else {
            throw ManagerError("embedded manager directory \(String(reflecting: directory)) must be absolute, of [A-Za-z0-9_./-]")
        }
    }

    static func cgroupHierarchies() throws -> [String] {
        try FileSystem.list("/sys/fs/cgroup").sorted().map { "/sys/fs/cgroup/\($0)" }
            .filter { FileSystem.exists("\($0)/cgroup.procs") }
    }

    static func removeCgroups(_ cgroup: String, hierarchies: [String]) {
        for h in hierarchies { removeCgroupTree("\(h)/\(cgroup)") }
    }

    /// Cgroup directories are removed with rmdir, children first (their control files cannot be unlinked).
    static func removeCgroupTree(_ path: String) {
        guard let names = try? FileSystem.list(path) else { return }
        for name in names where FileSystem.isDirectory("\(path)/\(name)") { removeCgroupTree("\(path)/\(name)") }
        try? FileSystem.removeDirectory(path)
    }

    static func safePathByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "/") || b == UInt8(ascii: "-")
    }

    /// Runs in the new mount namespace as `inner.sh DIR CGROUP`; constant text.
    static let innerScript = """
        #!/bin/bash
        set -e
        dir=$1 cg=$2
        for h in /sys/fs/cgroup/*/; do [ -d "$h$cg" ] && echo $$ > "$h$cg/cgroup.procs"; done
        mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system
        mount --bind "$dir/console.log" /dev/console
        export XDG_RUNTIME_DIR="$dir/xdg" XDG_CONFIG_HOME="$dir/config" SYSTEMD_UNIT_PATH="$dir/units:"
        exec /lib/systemd/systemd --user --unit=berth-root.target --log-target=console --log-level=info

        """

    /// Detaches the manager in a session of its own and prints its PID; constant text.
    static let launcherScript =
        "setsid unshare --mount --propagation unchanged /bin/bash \"$1\" \"$2\" \"$3\" </dev/null >\"$2/stdout.log\" 2>&1 & echo $!"
}

/// The service manager could not be started, reached or stopped.
public struct ManagerError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
