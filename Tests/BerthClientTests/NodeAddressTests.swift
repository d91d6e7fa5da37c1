import Testing
@testable import BerthClient

@Suite struct NodeAddressTests {
    @Test(arguments: [
        ("unix:/run/berth/berthd.sock", NodeAddress.unix(path: "/run/berth/berthd.sock")),
        ("unix:///run/x.sock", .unix(path: "/run/x.sock")),
        ("unix:relative.sock", .unix(path: "relative.sock")),
        ("/run/y.sock", .unix(path: "/run/y.sock")),
        ("tcp://127.0.0.1:7480", .tcp(host: "127.0.0.1", port: 7480)),
        ("tcp://node-1.example:80", .tcp(host: "node-1.example", port: 80)),
        ("tcp://[::1]:7480", .tcp(host: "::1", port: 7480)),
        ("tcp://[fe80::1%2]:9", .tcp(host: "fe80::1%2", port: 9)),
        ("ssh://host", .ssh(user: nil, host: "host", port: nil)),
        ("ssh://core@10.0.0.5:2222", .ssh(user: "core", host: "10.0.0.5", port: 2222)),
        ("ssh://me@[2001:db8::5]", .ssh(user: "me", host: "2001:db8::5", port: nil)),
    ])
    func parses(_ text: String, _ expected: NodeAddress) throws {
        let address = try NodeAddress(parsing: text)
        #expect(address == expected)
        // The text form reads back to the same address.
        #expect(try NodeAddress(parsing: address.description) == address)
    }

    @Test(arguments: [
        ("", "expected unix:PATH"),
        ("http://x:1", "expected unix:PATH"),
        ("unix:", "needs a socket path"),
        ("tcp://127.0.0.1", "needs a port"),
        ("tcp://127.0.0.1:0", "needs a port"),
        ("tcp://127.0.0.1:70000", "not a number from 1 to 65535"),
        ("tcp://::1:80", "needs brackets"),
        ("tcp://[::1:80", "closing ']'"),
        ("tcp://[zz]:80", "not an IPv6 address"),
        ("tcp://:80", "host is missing"),
        ("tcp://-oProxyCommand=x:22", "not a host name"),
        ("ssh://-oProxyCommand=x", "not a host name"),
        ("ssh://bad user@h", "ssh user"),
        ("ssh://h:0", "ssh port"),
    ])
    func refuses(_ text: String, _ reason: String) {
        #expect {
            _ = try NodeAddress(parsing: text)
        } throws: { error in
            let error = error as? NodeAddressError
            return error?.input == text && error?.description.contains(reason) == true
        }
    }

    @Test func unixPathLongerThanSunPathIsRefused() {
        #expect(throws: NodeAddressError.self) { _ = try NodeAddress(parsing: "unix:/" + String(repeating: "a", count: 200)) }
    }

    @Test func defaultAddressComesFromBERTH_NODE() throws {
        #expect(try NodeAddress.defaultAddress(environment: [:]) == .unix(path: "/run/berth/berthd.sock"))
        #expect(try NodeAddress.defaultAddress(environment: ["BERTH_NODE": ""]) == .unix(path: "/run/berth/berthd.sock"))
        #expect(try NodeAddress.defaultAddress(environment: ["BERTH_NODE": "tcp://10.1.2.3:7480"]) == .tcp(host: "10.1.2.3", port: 7480))
        #expect(throws: NodeAddressError.self) { _ = try NodeAddress.defaultAddress(environment: ["BERTH_NODE": "nonsense"]) }
    }
}
