import BerthCore
import BerthSystem

/// Applies a container's iptables plans inside its network namespace, entered with
/// `nsenter --target PID --net`. Per family:
///
/// 1. one `iptables -t nat -S` (`ip6tables`): which of our chains and jumps exist. A plan without
///    links for a namespace that has none of our chains stops here (nothing to add or empty);
/// 2. the plan's sysctls (`sysctl -w`), only when it has links;
/// 3. the plan as ONE `iptables-restore --noflush` (`ip6tables-restore`) transaction on standard
///    input: declaring our chains empties them, so this replaces the previous rules atomically and an
///    empty plan removes them;
/// 4. the jumps from the built-in chains that step 1 did not see, appended in one more restore
///    (only the first time: appending them on every apply would duplicate them).
///
/// So a steady-state apply is two or three tool runs per family, not one per jump on top.
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
        let ours = Set(IptablesPlan.jumpRules.map(\.target))
        return try await natRules(pid: pid, program: family == .ipv4 ? "iptables" : "ip6tables").filter { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 2, words[0] == "-A" else { return false }
            if ours.contains(words[1]) { return true }
            return words.count >= 4 && words[words.count - 2] == "-j" && ours.contains(words[words.count - 1])
        }
    }

    // MARK: - Steps

    private func apply(_ plan: IptablesPlan, checkedPID pid: Int32) async throws(LinkError) {
        let existing = try await natRules(pid: pid, program: plan.iptablesProgram)
        let haveChains = plan.jumps.contains { existing.contains("-N \($0.target)") }
        if !haveChains, plan == (try? IptablesPlanner.plan(plan.family, for: [])) { return }
        if !plan.sysctls.isEmpty {
            let argv = ["-w", "-q"] + plan.sysctls.map { "\($0.key)=\($0.value)" }
            let result = try await run(pid: pid, sysctl, argv)
            guard result.succeeded else { throw failure(of: [sysctl] + argv, pid: pid, result) }
        }
        let restore = try await run(pid: pid, plan.restoreProgram, plan.restoreArguments, input: Array(plan.restoreInput.utf8))
        guard restore.succeeded else { throw failure(of: [plan.restoreProgram] + plan.restoreArguments, pid: pid, restore) }
        // `-S` prints a jump as `-A PREROUTING -j BERTH-PRE`, the very line a restore appends.
        let missing = plan.jumps.map { "-A \($0.builtinChain) -j \($0.target)" }.filter { !existing.contains($0) }
        guard !missing.isEmpty else { return }
        let input = (["*nat"] + missing + ["COMMIT"]).joined(separator: "\n") + "\n"
        let jumps = try await run(pid: pid, plan.restoreProgram, plan.restoreArguments, input: Array(input.utf8))
        guard jumps.succeeded else { throw failure(of: [plan.restoreProgram] + plan.restoreArguments, pid: pid, jumps) }
    }

    /// `iptables -t nat -S` (or `ip6tables`) in the namespace of `pid`, one line per rule or chain.
    private func natRules(pid: Int32, program: String) async throws(LinkError) -> [String] {
        let result = try await run(pid: pid, program, ["-t", "nat", "-S"])
        guard result.succeeded else { throw failure(of: [program, "-t", "nat", "-S"], pid: pid, result) }
        return result.stdoutText.split(separator: "\n").map(String.init)
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
        FileSystem.linkTarget(path).flatMap { $0.isEmpty ? nil : $0 }
    }
}
