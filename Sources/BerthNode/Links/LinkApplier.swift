#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthSystem

/// Applies a container's iptables plans inside its network namespace, entered with
/// `nsenter --target PID --net`:
///
/// 1. the plan's sysctls (`sysctl -w`), only when it has links;
/// 2. the plan as ONE `iptables-restore --noflush` (`ip6tables-restore`) transaction on standard
///    input: declaring our chains empties them, so this replaces the previous rules atomically and an
///    empty plan removes them;
/// 3. the jumps from the built-in chains, each checked (`-C`) and appended (`-A`) only when missing.
///
/// Applying is idempotent. Any tool failing is a `LinkError` carrying its stderr. Applies to one
/// namespace are serialised within the process (two concurrent jump checks could both append).
public struct LinkApplier: Sendable {
    /// `PATH` only: the tools see nothing of the node's environment.
    public static let defaultEnvironment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

    public var nsenter: String
    public var sysctl: String
    public var environment: [String: String]
    /// Per tool run.
    public var timeout: Duration

    public init(nsenter: String = "nsenter", sysctl: String = "sysctl",
                environment: [String: String] = LinkApplier.defaultEnvironment, timeout: Duration = .seconds(10)) {
        self.nsenter = nsenter
        self.sysctl = sysctl
        self.environment = environment
        self.timeout = timeout
    }

    /// Plans `links` and applies both families' plans to the namespace of `pid`. No links removes
    /// every rule of ours (used on unlink and delete).
    public func apply(_ links: [ResolvedLink], pid: Int32) async throws(LinkError) {
        let plans: (ipv4: IptablesPlan, ipv6: IptablesPlan)
        do { plans = try IptablesPlanner.plans(for: links) } catch { throw LinkError(.invalid, error.description) }
        try checkNamespace(pid)
        try await NamespaceLocks.shared.withLock(pid) { () async throws(LinkError) in
            try await apply(plans.ipv4, checkedPID: pid)
            try await apply(plans.ipv6, checkedPID: pid)
        }
    }

    /// Applies one family's plan to the namespace of `pid`.
    public func apply(_ plan: IptablesPlan, pid: Int32) async throws(LinkError) {
        try checkNamespace(pid)
        try await NamespaceLocks.shared.withLock(pid) { () async throws(LinkError) in
            try await apply(plan, checkedPID: pid)
        }
    }

    /// Removes our rules (empties our chains) in both families.
    public func remove(pid: Int32) async throws(LinkError) {
        try await apply([], pid: pid)
    }

    /// Our rules in the namespace of `pid` for `family`, as `iptables -t nat -S` prints them: the
    /// `-A` lines of our chains and the jumps into them, in table order. Empty when there are none.
    public func currentRules(pid: Int32, family: IPFamily) async throws(LinkError) -> [String] {
        try checkNamespace(pid)
        let program = family == .ipv4 ? "iptables" : "ip6tables"
        let result = try await run(pid: pid, program, ["-t", "nat", "-S"])
        guard result.succeeded else { throw failure(of: [program, "-t", "nat", "-S"], pid: pid, result) }
        let ours = ["BERTH-PRE", "BERTH-OUT", "BERTH-POST"]
        return result.stdoutText.split(separator: "\n").map(String.init).filter { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 2, words[0] == "-A" else { return false }
            if ours.contains(words[1]) { return true }
            return words.count >= 4 && words[words.count - 2] == "-j" && ours.contains(words[words.count - 1])
        }
    }

    // MARK: - Steps

    private func apply(_ plan: IptablesPlan, checkedPID pid: Int32) async throws(LinkError) {
        if !plan.sysctls.isEmpty {
            let argv = ["-w", "-q"] + plan.sysctls.map { "\($0.key)=\($0.value)" }
            let result = try await run(pid: pid, sysctl, argv)
            guard result.succeeded else { throw failure(of: [sysctl] + argv, pid: pid, result) }
        }
        let restore = try await run(pid: pid, plan.restoreProgram, plan.restoreArguments, input: Array(plan.restoreInput.utf8))
        guard restore.succeeded else { throw failure(of: [plan.restoreProgram] + plan.restoreArguments, pid: pid, restore) }
        for jump in plan.jumps {
            let check = try await run(pid: pid, plan.iptablesProgram, jump.checkArguments)
            if check.succeeded { continue }
            // `-C` exits 1 for "no such rule"; anything else is a real failure.
            guard check.status == .exited(1), !check.timedOut else {
                throw failure(of: [plan.iptablesProgram] + jump.checkArguments, pid: pid, check)
            }
            let append = try await run(pid: pid, plan.iptablesProgram, jump.appendArguments)
            guard append.succeeded else { throw failure(of: [plan.iptablesProgram] + jump.appendArguments, pid: pid, append) }
        }
    }

    private func run(pid: Int32, _ program: String, _ arguments: [String], input: [UInt8]? = nil) async throws(LinkError) -> ProcessResult {
        let argv = ["--target", String(pid), "--net", "--", program] + arguments
        do {
            return try await ProcessRunner.run(ProcessRequest(nsenter, argv, environment: environment, standardInput: input,
                                                              outputLimit: 1 << 20, timeout: timeout))
        } catch {
            throw LinkError(.toolFailed, "cannot run \(nsenter) for \(program): \(error)")
        }
    }

    private func failure(of argv: [String], pid: Int32, _ result: ProcessResult) -> LinkError {
        let how = result.timedOut ? "timed out" : String(describing: result.status)
        return LinkError(.toolFailed, "\(argv.joined(separator: " ")) in the network namespace of pid \(pid) \(how)",
                         stderr: result.stderrText.trimmedLines)
    }

    /// Refuses PIDs that do not exist and the node's own network namespace: rules meant for a
    /// container must never land on the host.
    func checkNamespace(_ pid: Int32) throws(LinkError) {
        guard pid > 1 else { throw LinkError(.noProcess, "pid \(pid) is not a container's process") }
        guard let theirs = LinkApplier.namespace(of: "/proc/\(pid)/ns/net") else {
            throw LinkError(.noProcess, "process \(pid) does not exist (or its network namespace cannot be read)")
        }
        if theirs == LinkApplier.namespace(of: "/proc/self/ns/net") {
            throw LinkError(.noProcess, "process \(pid) shares the node's own network namespace; refusing to change the node's rules")
        }
    }

    /// `net:[inode]` of a namespace link.
    static func namespace(of path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
