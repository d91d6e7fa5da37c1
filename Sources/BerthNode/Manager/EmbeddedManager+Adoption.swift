import BerthSystem

/// A node killed outright (`kill -9`, a crash) leaves its embedded manager running, with its
/// containers. The next node on the same directories finds it through `manager.cgroup` and
/// `manager.pid` and adopts it when it is provably that manager and answers; otherwise it stops
/// whatever is left of it before starting a new one. Never two managers on one directory: the node
/// lock (`Layout.nodeLock`, taken by berthd before it opens its manager) keeps two nodes from doing
/// this at once.
extension EmbeddedManager {
    /// What `open` found of a predecessor's manager.
    public enum Predecessor: Hashable, Sendable, CustomStringConvertible {
        /// No record, or a manager that was stopped cleanly.
        case none
        /// Its manager answered and runs on, with its units: this node now owns it.
        case adopted(pid: Int32)
        /// It was there but could not be adopted (`reason`); it was stopped and its cgroup removed.
        case stopped(reason: String)

        public var description: String {
            switch self {
            case .none: "none"
            case .adopted(let pid): "adopted manager pid \(pid)"
            case .stopped(let reason): "stopped the previous manager: \(reason)"
            }
        }
    }

    /// The node's manager for `directory`: the one a killed node left there if it can be adopted
    /// safely, else a new one (after stopping what was left).
    public static func open(directory: String, containersConf: String? = nil,
                            timeout: Duration = .seconds(10)) async throws -> (EmbeddedManager, Predecessor) {
        try checkDirectory(directory)
        var predecessor = Predecessor.none
        if let (left, reason) = leftover(directory: directory, containersConf: containersConf) {
            if reason == nil, await left.isReady(timeout: timeout) {
                try FileSystem.writeAtomically(Array("\(left.pid)\n".utf8), to: pidFile(directory))
                return (left, .adopted(pid: left.pid))
            }
            await left.stop(timeout: timeout)
            predecessor = .stopped(reason: reason ?? "manager pid \(left.pid) did not answer")
        }
        return (try await start(directory: directory, containersConf: containersConf, timeout: timeout), predecessor)
    }

    /// The manager recorded in `directory`, if anything of it is left: with a nil reason when a live
    /// process proves to be that manager (`managerEnvironment`) and was started as this node would start it,
    /// else with why it cannot be adopted (`pid` is 0 when no process is that manager: then only
    /// the cgroup's processes and directories remain to be cleared).
    static func leftover(directory: String, containersConf: String?) -> (EmbeddedManager, String?)? {
        guard let recorded = try? FileSystem.readIfExists(cgroupFile(directory), limit: 4096) else { return nil }
        let cgroup = String(decoding: recorded, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        // The name becomes a path under every hierarchy: only a name this code could have made.
        guard cgroup.hasPrefix("berth-mgr-"), cgroup.utf8.allSatisfy({ safePathByte($0) && $0 != UInt8(ascii: "/") }) else {
            return nil
        }
        let hierarchies = (try? cgroupHierarchies()) ?? []
        let probe = EmbeddedManager(directory: directory, cgroup: cgroup, pid: 0)
        let recordedPID = (try? FileSystem.readIfExists(pidFile(directory), limit: 64))
            .flatMap { $0 }.flatMap { Int32(String(decoding: $0, as: UTF8.self).split(separator: "\n").first ?? "") }
        // The pid file first; then the cgroup, which still holds the manager when the node died
        // before writing the pid, or when the pid file is stale.
        let candidates = [recordedPID].compactMap { $0 } + probe.processesInCgroup(hierarchies).sorted()
        // One read of each candidate's environment serves both checks (that it is the manager, and
        // how it was started).
        for pid in candidates {
            guard let environment = probe.managerEnvironment(pid) else { continue }
            let found = EmbeddedManager(directory: directory, cgroup: cgroup, pid: pid)
            // Its units inherit its environment: a manager started with other settings is replaced.
            let wanted = "CONTAINERS_CONF=\(containersConf ?? "")"
            guard environment.contains(wanted) else {
                return (found, "manager pid \(pid) was started without \(wanted)")
            }
            return (found, nil)
        }
        guard hierarchies.contains(where: { FileSystem.exists("\($0)/\(cgroup)") }) else { return nil }
        return (probe, "no process in its cgroup \(cgroup) is that manager (pid file: \(recordedPID.map(String.init) ?? "none"))")
    }

    /// The environment `pid` was started with (the `NAME=value` strings of `/proc/PID/environ`)
    /// when it is this manager and no other process (its pid may have been reused): alive,
    /// `systemd`, in this manager's own cgroup, in a mount namespace other than ours (it runs under
    /// `unshare`), with this directory's `XDG_RUNTIME_DIR`; nil when it is not.
    func managerEnvironment(_ pid: Int32) -> Set<String>? {
        guard isInOwnCgroup(pid),
              let comm = try? FileSystem.read("/proc/\(pid)/comm", limit: 64), comm == Array("systemd\n".utf8),
              let namespace = FileSystem.linkTarget("/proc/\(pid)/ns/mnt"),
              namespace != FileSystem.linkTarget("/proc/self/ns/mnt"),
              let environ = try? FileSystem.read("/proc/\(pid)/environ", limit: 1 << 20) else { return nil }
        let environment = Set(environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
        return environment.contains("XDG_RUNTIME_DIR=\(directory)/xdg") ? environment : nil
    }
}
