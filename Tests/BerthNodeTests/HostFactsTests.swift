import BerthSystem
import Testing
@testable import BerthNode

@Suite struct HostFactsTests {
    /// The addresses `ip` shows for the up, non-loopback interfaces.
    static func ipAddresses() async throws -> Set<String> {
        let result = try await ProcessRunner.run(ProcessRequest("/sbin/ip", ["-o", "addr", "show", "up"], timeout: .seconds(10)))
        try #require(result.succeeded)
        var addresses = Set<String>()
        for line in result.stdoutText.split(separator: "\n") {
            // `2: eth0    inet6 fe80::1/64 scope link ...`
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 4, words[2] == "inet" || words[2] == "inet6" else { continue }
            let interface = words[1].prefix { $0 != "@" }  // `veth0@if12`
            guard interface != "lo" else { continue }
            let address = String(words[3].prefix { $0 != "/" })
            addresses.insert(address.hasPrefix("fe80:") ? "\(address)%\(interface)" : address)
        }
        return addresses
    }

    /// The addresses node.info reports are the ones `ip` shows for the up, non-loopback interfaces.
    /// Containers that other tests start and stop meanwhile add and remove veth interfaces, so the
    /// comparison counts only when `ip` showed the same before and after the read (tried up to 20 times).
    @Test(.enabled(if: FileSystem.exists("/sbin/ip"), "needs /sbin/ip"))
    func addressesAgreeWithIp() async throws {
        for _ in 0..<20 {
            let before = try await Self.ipAddresses()
            let addresses = HostFacts.addresses()
            guard try await Self.ipAddresses() == before else {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            #expect(Set(addresses) == before)
            #expect(addresses.count == Set(addresses).count, "no duplicates")
            return
        }
        Issue.record("the host's interfaces kept changing; nothing compared")
    }
}
