import Foundation
import Testing
@testable import BerthCore

@Suite struct NetworkLinkTests {
    @Test func textForms() throws {
        let a = try NetworkLink(parsing: "80:db.example.com:5432")
        #expect(a == NetworkLink(fromHost: "127.0.0.1", fromPort: 80, toHost: "db.example.com", toPort: 5432))
        let b = try NetworkLink(parsing: "10.0.0.5:8080:10.1.2.3:80")
        #expect(b == NetworkLink(fromHost: "10.0.0.5", fromPort: 8080, toHost: "10.1.2.3", toPort: 80))
        let c = try NetworkLink(parsing: "[fd00::1]:80:[fd00::2]:8080")
        #expect(c == NetworkLink(fromHost: "fd00::1", fromPort: 80, toHost: "fd00::2", toPort: 8080))
        #expect(c.isIPv6)
        #expect(c.compactForm == "[fd00::1]:80:[fd00::2]:8080")
        #expect(c.displayForm == "[fd00::1]:80 -> [fd00::2]:8080")
        let list = try [NetworkLink](parsing: "80:db:5432, [::1]:81:web:0")
        #expect(list.compactForm == "127.0.0.1:80:db:5432,[::1]:81:web:0")
        #expect(list.displayForm == "127.0.0.1:80 -> db:5432, [::1]:81 -> web:0")
        #expect(try [NetworkLink](parsing: "") == [])
    }

    @Test func completeness() throws {
        #expect(try NetworkLink(parsing: "80:db:5432").isComplete)
        #expect(!(try NetworkLink(parsing: "80:db:0")).isComplete)
        #expect(!(try NetworkLink(parsing: "80::0")).isComplete)
        #expect(!(try NetworkLink(parsing: "80::5432")).isComplete)
    }

    @Test(arguments: [
        ("0:db:80", "from port"), ("65536:db:80", "0-65535"), ("80:db:99999", "0-65535"), ("-1:db:80", "0-65535"),
        ("80:db", "expected"), ("1:2:3:4:5", "expected"), ("fd00::1:80:db:80", "expected"),
        ("80:db 1:80", "blanks"), ("80:db\n:80", "blanks"), ("80:-j ACCEPT:80", "'-'"), ("80:-x:80", "'-'"),
        ("80:$(reboot):80", "neither"), ("80:db;rm:80", "neither"), ("80:a_b:80", "neither"),
        ("80:1.2.3:80", "neither"), ("80:256.1.1.1:80", "neither"), ("80:db.:80", "neither"),
        ("db:80:db:80", "not an IP address"), ("[db]:80:x:80", "not an IPv6"), ("[1.2.3.4]:80:x:80", "not an IPv6"),
        ("[fe80::1%eth0]:80:x:80", "not an IPv6"), ("[fd00::1:80:x:80", "without"), ("[fd00::1]x:80:y:80", "after"),
        ("80:[fd00::1]:[80]", "only hosts"), (":80:db:80", "from host is empty"), ("80:db:8O", "0-65535"),
        ("80:db:80,,81:db:81", "empty item"), ("80:db:80,80:db2:81", "linked twice"),
        ("80:" + String(repeating: "a", count: 64) + ":80", "neither"),
    ])
    func refuses(_ text: String, _ reason: String) {
        do {
            _ = try [NetworkLink](parsing: text)
            Issue.record("accepted \(String(reflecting: text))")
        } catch {
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test func hostSyntax() {
        #expect(HostSyntax.isIPv4("192.168.0.1"))
        #expect(!HostSyntax.isIPv4("192.168.1"))
        #expect(!HostSyntax.isIPv4("0x7f.0.0.1"))
        #expect(HostSyntax.isIPv6("::ffff:1.2.3.4"))
        // The C parser stops at a NUL; what follows it must not ride along into a stored link.
        #expect(!HostSyntax.isIPv4("127.0.0.1\u{0}x"))
        #expect(!HostSyntax.isIPv6("::1\u{0}x"))
        #expect(throws: NetworkLinkError.self) {
            try NetworkLink(fromHost: "127.0.0.1\u{0} -j ACCEPT", fromPort: 80, toHost: "10.0.0.1", toPort: 80).validate()
        }
        #expect(HostSyntax.isHostName("a-b.example.com"))
        #expect(HostSyntax.isHostName("1a.example"))
        #expect(!HostSyntax.isHostName("example.123"))
        #expect(!HostSyntax.isHostName(String(repeating: "a.", count: 127) + "ab"))
    }

    @Test func roundTripsRandomLinks() throws {
        let hosts = ["127.0.0.1", "10.0.0.1", "fd00::1", "::1", "2001:db8::ff00:42:8329"]
        let targets = hosts + ["db", "db-1.example.com", "x1", ""]
        for _ in 0..<500 {
            var links: [NetworkLink] = []
            var used = Set<String>()
            for _ in 0..<Int.random(in: 1...5) {
                let link = NetworkLink(fromHost: hosts.randomElement()!, fromPort: UInt16.random(in: 1...65535),
                                       toHost: targets.randomElement()!, toPort: UInt16.random(in: 0...65535))
                if used.insert("\(link.fromHost) \(link.fromPort)").inserted { links.append(link) }
            }
            #expect(try [NetworkLink](parsing: links.compactForm) == links)
            let data = try JSONEncoder().encode(links)
            #expect(try JSONDecoder().decode([NetworkLink].self, from: data) == links)
        }
    }

    @Test func codableKeysAndValidation() throws {
        let link = NetworkLink(fromHost: "127.0.0.1", fromPort: 80, toHost: "db", toPort: 5432)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(link), as: UTF8.self)
                == #"{"fromHost":"127.0.0.1","fromPort":80,"toHost":"db","toPort":5432}"#)
        #expect(try JSONDecoder().decode(NetworkLink.self, from: Data(#"{"fromPort":80}"#.utf8))
                == NetworkLink(fromPort: 80, toHost: "", toPort: 0))
        for bad in [#"{"fromPort":0}"#, #"{"fromPort":80,"toHost":"a b"}"#, #"{"fromPort":80,"fromHost":"db"}"#,
                    #"{"fromPort":70000}"#, #"{"fromPort":80,"toHost":"-j"}"#] {
            #expect(throws: DecodingError.self, "\(bad)") { try JSONDecoder().decode(NetworkLink.self, from: Data(bad.utf8)) }
        }
    }
}

@Suite struct PortPairTests {
    @Test func textForm() throws {
        let pairs = try [PortPair](parsing: "8080:40000, 22:0,53")
        #expect(pairs == [PortPair(internal: 8080, external: 40000), PortPair(internal: 22, external: 0),
                          PortPair(internal: 53, external: 0)])
        #expect(pairs.textForm == "8080:40000,22:0,53:0")
        #expect(try [PortPair](parsing: pairs.textForm) == pairs)
        #expect(try [PortPair](parsing: " ") == [])
    }

    @Test(arguments: ["0:80", "80:65536", "a:1", "1:2:3", ":80", "80:", "-1:2", "80:1,81:1", "80,,81", "８０:1"])
    func refuses(_ text: String) {
        #expect(throws: PortPairError.self) { try [PortPair](parsing: text) }
    }

    @Test func codable() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let pair = PortPair(internal: 8080, external: 40000)
        #expect(String(decoding: try encoder.encode(pair), as: UTF8.self) == #"{"external":40000,"internal":8080}"#)
        #expect(try JSONDecoder().decode(PortPair.self, from: Data(#"{"internal":80}"#.utf8)) == PortPair(internal: 80, external: 0))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PortPair.self, from: Data(#"{"internal":0}"#.utf8)) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PortPair.self, from: Data(#"{"internal":1,"external":65536}"#.utf8))
        }
    }
}

@Suite struct ContainerEventTests {
    @Test func codableWithStringTypes() throws {
        let event = ContainerEvent(id: try Identifier("web"), type: .idled)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(event), as: UTF8.self) == #"{"id":"web","type":"idled"}"#)
        #expect(try JSONDecoder().decode(ContainerEvent.self, from: encoder.encode(event)) == event)
        #expect(Set(EventType.allCases.map(\.rawValue))
                == ["installed", "started", "idled", "stopped", "deleted", "errored", "unknown"])
        let future = try JSONDecoder().decode(ContainerEvent.self, from: Data(#"{"id":"web","type":"hibernated"}"#.utf8))
        #expect(future.type == .unknown)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ContainerEvent.self, from: Data(#"{"id":"../x","type":"started"}"#.utf8))
        }
        #expect(event.description == "web idled")
    }
}
