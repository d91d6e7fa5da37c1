import BerthSystem
import Testing
@testable import BerthNode

@Suite struct HostFactsTests {
    /// The addresses node.info reports are the ones `ip` shows for the up, non-loopback interfaces.
    @Test(.enabled(if: FileSystem.exists("/sbin/ip"), "needs /sbin/ip"))
    func addressesAgreeWithIp() throws {
        let result = try ProcessRunner.runBlocking(ProcessRequest("/sbin/ip", ["-o", "addr", "show", "up"], timeout: .seconds(10)))
        try #require(result.succeeded)
        var expected = Set<String>()
        for line in result.stdoutText.split(separator: "\n") {
            // `2: eth0    inet6 fe80::1/64 scope link ...`
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 4, words[2] == "inet" || words[2] == "inet6" else { continue }
            let interface = words[1].prefix { $0 != "@" }  // `veth0@if12`
            guard interface != "lo" else { continue }
            let address = String(words[3].prefix { $0 != "/" })
            expected.insert(address.hasPrefix("fe80:") ? "\(address)%\(interface)" : address)
        }
        let addresses = HostFacts.addresses()
        #expect(Set(addresses) == expected)
        #expect(addresses.count == Set(addresses).count, "no duplicates")
    }
}
