#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

extension SystemTests {
    @Suite struct InterfaceAddressTests {
        /// Every host has `lo` with 127.0.0.1, up and flagged loopback; and every address listed is one
        /// of the interfaces `/sys/class/net` names.
        @Test func listsTheLoopbackAndOnlyRealInterfaces() throws {
            let all = InterfaceAddress.all()
            let lo = all.first { $0.address == .ipv4(.loopback, port: 0) }
            #expect(lo?.interface == "lo" && lo?.isUp == true && lo?.isLoopback == true)
            let names = Set(try FileSystem.list("/sys/class/net"))
            #expect(all.allSatisfy { names.contains($0.interface) })
        }
    }
}
