#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthSystem
import Foundation
import Testing
@testable import BerthNode

/// A process in a network namespace of its own (`unshare --net sleep`), stopped by its PID.
private final class NamespaceProcess {
    let process = Process()
    var pid: Int32 { process.processIdentifier }

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--net", "sleep", "120"]
        try process.run()
        // unshare enters the new namespace right after it starts; wait until it has.
        let ours = LinkApplier.namespace(of: "/proc/self/ns/net")
        for _ in 0..<500 {
            if let theirs = LinkApplier.namespace(of: "/proc/\(pid)/ns/net"), theirs != ours { return }
            usleep(2_000)
        }
        stop()
        throw LinkError(.noProcess, "unshare --net did not enter a new namespace")
    }

    func stop() {
        // SIGKILL: the test runner's blocked signals are inherited by Foundation's child, so SIGTERM waits.
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// `sysctl -n KEY` inside the namespace.
    func sysctl(_ key: String) async throws -> String {
        let result = try await ProcessRunner.run(ProcessRequest("nsenter", ["--target", String(pid), "--net", "--", "sysctl", "-n", key],
                                                                environment: LinkApplier.defaultEnvironment))
        return result.stdoutText.trimmedLines
    }
}

private let isRoot = getuid() == 0
private let jumps = ["-A PREROUTING -j BERTH-PRE", "-A OUTPUT -j BERTH-OUT", "-A POSTROUTING -j BERTH-POST"]

/// Real iptables in real network namespaces (root only).
@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces and iptables"))
struct LinkApplierTests {
    let applier = LinkApplier()

    @Test func appliesReappliesChangesAndRemoves() async throws {
        let ns = try NamespaceProcess()
        defer { ns.stop() }
        #expect(try await applier.currentRules(pid: ns.pid, family: .ipv4) == [])

        let first = [ResolvedLink(fromAddress: "127.0.0.1", fromPort: 8080, toAddress: "198.18.0.2", toPort: 9000)]
        try await applier.apply(first, pid: ns.pid)
        let applied = try await applier.currentRules(pid: ns.pid, family: .ipv4)
        #expect(Set(applied) == Set(jumps + [
            "-A BERTH-PRE -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:9000",
            "-A BERTH-OUT -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:9000",
            "-A BERTH-POST -d 198.18.0.2/32 -p tcp -m tcp --dport 9000 -j MASQUERADE",
        ]))
        #expect(applied.count == 6)
        #expect(try await ns.sysctl("net.ipv4.conf.all.route_localnet") == "1")
        #expect(try await ns.sysctl("net.ipv4.ip_forward") == "1")

        try await applier.apply(first, pid: ns.pid)
        #expect(try await applier.currentRules(pid: ns.pid, family: .ipv4) == applied, "re-applying changes nothing")

        let second = [ResolvedLink(fromAddress: "127.0.0.1", fromPort: 8080, toAddress: "198.18.0.3", toPort: 9001)]
        try await applier.apply(second, pid: ns.pid)
        let changed = try await applier.currentRules(pid: ns.pid, family: .ipv4)
        #expect(changed.count == 6)
        #expect(changed.contains("-A BERTH-OUT -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.3:9001"))
        #expect(!changed.contains { $0.contains("198.18.0.2") }, "the old target is gone")

        try await applier.remove(pid: ns.pid)
        #expect(try await applier.currentRules(pid: ns.pid, family: .ipv4) == jumps, "only the jumps into empty chains remain")
        #expect(try await applier.currentRules(pid: ns.pid, family: .ipv6) == [], "a family that never had links is left alone")
    }

    @Test func ipv6LinksGoToIp6tables() async throws {
        let ns = try NamespaceProcess()
        defer { ns.stop() }
        try await applier.apply([ResolvedLink(fromAddress: "2001:2::1", fromPort: 80, toAddress: "2001:2::2", toPort: 8080)], pid: ns.pid)
        let v6 = try await applier.currentRules(pid: ns.pid, family: .ipv6)
        #expect(v6.contains("-A BERTH-OUT -d 2001:2::1/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [2001:2::2]:8080"))
        #expect(v6.count == 6)
        #expect(try await applier.currentRules(pid: ns.pid, family: .ipv4) == [], "no v4 chains or jumps for a v6 link")
        #expect(try await ns.sysctl("net.ipv6.conf.all.forwarding") == "1")
    }

    @Test func removingFromANamespaceWithoutLinksAddsNothing() async throws {
        let ns = try NamespaceProcess()
        defer { ns.stop() }
        try await applier.remove(pid: ns.pid)
        #expect(try await applier.currentRules(pid: ns.pid, family: .ipv4) == [])
        #expect(try await applier.currentRules(pid: ns.pid, family: .ipv6) == [])
    }

    @Test func anInvalidPlanChangesNothing() async throws {
        let ns = try NamespaceProcess()
        defer { ns.stop() }
        let error = await #expect(throws: LinkError.self) {
            try await applier.apply([ResolvedLink(fromAddress: "::1", fromPort: 80, toAddress: "2001:2::2", toPort: 80)], pid: ns.pid)
        }
        #expect(error?.kind == .invalid)
        #expect(try await applier.currentRules(pid: ns.pid, family: .ipv4) == [])
        #expect(try await applier.currentRules(pid: ns.pid, family: .ipv6) == [])
    }

    @Test func aFailingToolIsAnErrorWithItsStderr() async throws {
        let ns = try NamespaceProcess()
        defer { ns.stop() }
        // nsenter is in /usr/bin, sysctl and iptables-restore in /usr/sbin: the tool cannot be found.
        let broken = LinkApplier(environment: ["PATH": "/usr/bin"])
        let error = await #expect(throws: LinkError.self) {
            try await broken.apply([ResolvedLink(fromAddress: "127.0.0.1", fromPort: 1, toAddress: "198.18.0.2", toPort: 2)], pid: ns.pid)
        }
        #expect(error?.kind == .toolFailed)
        #expect(error?.stderr.contains("No such file") == true, "stderr: \(error?.stderr ?? "")")
        #expect(error?.rpcError.kind == .linkFailed)
        #expect(error?.rpcError.details["stderr"] != nil)
    }

    @Test func refusesTheNodesOwnNamespaceAndMissingProcesses() async throws {
        for pid in [getpid(), 1, 0, -5] {
            let error = await #expect(throws: LinkError.self) { try await applier.remove(pid: pid) }
            #expect(error?.kind == .noProcess)
        }
        let error = await #expect(throws: LinkError.self) { try await applier.remove(pid: Int32.max) }
        #expect(error?.kind == .noProcess)
    }

    @Test func containerNamesAreCheckedBeforeTheRuntimeRuns() async throws {
        let lookup = ContainerProcessLookup(runtime: .podman, executable: "/nonexistent/podman")
        for name in ["-x", "", "a b", "a;b", "--format=x"] {
            let error = await #expect(throws: LinkError.self) { try await lookup.pid(ofContainer: name) }
            #expect(error?.kind == .invalid)
        }
        let error = await #expect(throws: LinkError.self) { try await lookup.pid(ofContainer: "ctr-web") }
        #expect(error?.kind == .toolFailed, "the missing runtime is reported, not hidden")
    }
}

@Suite(.serialized, .enabled(if: isRoot, "needs root for network namespaces and iptables"))
struct LinkApplierConcurrencyTests {
    /// Concurrent applies to one namespace never duplicate the jumps, and the last one wins whole.
    @Test func concurrentAppliesAreSerialised() async throws {
        let ns = try NamespaceProcess()
        defer { ns.stop() }
        let applier = LinkApplier()
        let pid = ns.pid
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<6 {
                group.addTask {
                    try await applier.apply([ResolvedLink(fromAddress: "127.0.0.1", fromPort: 8080,
                                                          toAddress: "198.18.0.\(2 + i)", toPort: 9000)], pid: pid)
                }
            }
            try await group.waitForAll()
        }
        let rules = try await applier.currentRules(pid: ns.pid, family: .ipv4)
        #expect(rules.filter { jumps.contains($0) }.count == 3, "each jump once: \(rules)")
        #expect(rules.count == 6, "one link's rules: \(rules)")
    }
}
