#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import BerthSystem

extension SystemTests {
    @Suite struct SocketAddressTests {
        @Test(arguments: ["127.0.0.1:80", "[::1]:80", "[fe80::1%2]:8080", "0.0.0.0:0", "/run/berth.sock", "@berth-notify"])
        func parsesAndFormatsRoundTrip(_ text: String) throws {
            let address = try SocketAddress(parsing: text)
            #expect(address.description == text)
            #expect(try SocketAddress(parsing: address.description) == address)
        }

        @Test func parsesParts() throws {
            #expect(try SocketAddress(parsing: "10.1.2.3:65535") == .ipv4(IPv4Address(rawValue: 0x0a01_0203), port: 65535))
            #expect(try SocketAddress(parsing: "[::1]:1") == .ipv6(.loopback, port: 1))
            #expect(try SocketAddress(parsing: "[2001:db8::7]:443").port == 443)
            #expect(IPv4Address("127.0.0.1")?.bytes == [127, 0, 0, 1])
            #expect(IPv6Address("::ffff:1.2.3.4")?.bytes.suffix(4) == [1, 2, 3, 4])
        }

        @Test(arguments: ["localhost:80", "127.0.0.1", "127.0.0.1:70000", "127.0.0.1:-1", "::1:80",
                          "[::1]", "[nonsense]:80", "1.2.3:80", "127.0.0.1:8o", "[::1%eth0]:80", ""])
        func rejectsBadText(_ text: String) {
            #expect(throws: SocketError.self) { try SocketAddress(parsing: text) }
        }

        @Test func rejectsUnixPathsThatDoNotFit() throws {
            let limit = SocketAddress.maximumUnixPathLength
            #expect(limit == 107)
            let fits = "/" + String(repeating: "a", count: limit - 1)
            _ = try SocketAddress(parsing: fits)
            let tooLong = fits + "b"
            let error = #expect(throws: SocketError.self) { try SocketAddress(parsing: tooLong) }
            #expect(error?.code == .pathTooLong)
            #expect(error?.message.contains("108 bytes") == true)
            #expect(throws: SocketError.self) { try SocketAddress.unix(path: tooLong).withSockAddr { _, _ in } }
            #expect(throws: SocketError.self) { try SocketAddress.unix(path: "").withSockAddr { _, _ in } }
            #expect(throws: SocketError.self) { try SocketAddress.unix(path: "/a\u{0}b").withSockAddr { _, _ in } }
        }

        @Test(arguments: ["127.0.0.1:8080", "[::1]:9", "[fe80::2%3]:7", "/tmp/x.sock", "@abstract-name"])
        func sockaddrRoundTrip(_ text: String) throws {
            let address = try SocketAddress(parsing: text)
            let back = try address.withSockAddr { addr, length in
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: Int(length))) }
                return try SocketAddress(storage: storage, length: length)
            }
            #expect(back == address)
        }

        @Test func codableAsText() throws {
            let addresses = [try SocketAddress(parsing: "[::1]:80"), .unix(path: "/run/b.sock"), .ipv4(.loopback, port: 5)]
            let json = try JSONEncoder().encode(addresses)
            #expect(String(decoding: json, as: UTF8.self) == #"["[::1]:80","\/run\/b.sock","127.0.0.1:5"]"#)
            #expect(try JSONDecoder().decode([SocketAddress].self, from: json) == addresses)
            #expect(throws: (any Error).self) { try JSONDecoder().decode([SocketAddress].self, from: Data(#"["nope"]"#.utf8)) }
        }

        /// Both families travel as their standard text, and a refusal names the family.
        @Test func ipAddressesAreCodableAsText() throws {
            let v4 = [IPv4Address.loopback, IPv4Address(rawValue: 0x0a01_0203)]
            let v6 = [IPv6Address.loopback, IPv6Address("fd00:b::1")!]
            #expect(String(decoding: try JSONEncoder().encode(v4), as: UTF8.self) == #"["127.0.0.1","10.1.2.3"]"#)
            #expect(String(decoding: try JSONEncoder().encode(v6), as: UTF8.self) == #"["::1","fd00:b::1"]"#)
            #expect(try JSONDecoder().decode([IPv4Address].self, from: JSONEncoder().encode(v4)) == v4)
            #expect(try JSONDecoder().decode([IPv6Address].self, from: JSONEncoder().encode(v6)) == v6)
            for (decode, family) in [({ _ = try JSONDecoder().decode([IPv4Address].self, from: Data(#"["::1"]"#.utf8)) }, "IPv4"),
                                     ({ _ = try JSONDecoder().decode([IPv6Address].self, from: Data(#"["1.2.3.4"]"#.utf8)) }, "IPv6")]
                as [(() throws -> Void, String)] {
                do { try decode(); Issue.record("\(family): decoded") } catch DecodingError.dataCorrupted(let context) {
                    #expect(context.debugDescription.hasPrefix("not an \(family) address: "))
                }
            }
        }
    }
}

extension SystemTests.SocketAddressTests {
    @Test func resolvesLiteralsAndLocalhost() async throws {
        #expect(try await SocketAddress.resolve(host: "127.0.0.1", port: 80) == [.ipv4(.loopback, port: 80)])
        #expect(try await SocketAddress.resolve(host: "::1", port: 81) == [.ipv6(.loopback, port: 81)])
        let local = try await SocketAddress.resolve(host: "localhost", port: 82)  // /etc/hosts, no DNS
        #expect(!local.isEmpty)
        #expect(local.allSatisfy { $0 == .ipv4(.loopback, port: 82) || $0 == .ipv6(.loopback, port: 82) })
        let error = await #expect(throws: SocketError.self) { try await SocketAddress.resolve(host: "", port: 1) }
        #expect(error?.code == .unresolvable)
    }
}
