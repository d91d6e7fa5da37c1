import BerthProtocol
import BerthSystem
import Testing
@testable import BerthClient

/// A node holding containers with ports and links: ports, links.get/set/add/remove, node.info,
/// install, start, delete, as the contract in Protocol/berth.openrpc.json says.
final class LinkNode: Sendable {
    struct Box {
        var ports: [String: [PortMapping]] = [:]
        var links: [String: [LinkSpec]] = [:]
        var started: Set<String> = []
        var calls: [String] = []
        var nextPort: UInt16 = 40000
    }
    let box: Lock<Box>
    let addresses: [String]

    init(ports: [String: [PortMapping]] = [:], links: [String: [LinkSpec]] = [:], addresses: [String] = ["198.18.0.2"]) {
        box = Lock(Box(ports: ports, links: links))
        self.addresses = addresses
    }

    var links: [String: [LinkSpec]] { box.withLock { $0.links } }
    var calls: [String] { box.withLock { $0.calls } }
    var containers: Set<String> { box.withLock { Set($0.ports.keys) } }
    var started: Set<String> { box.withLock { $0.started } }

    var handler: FakeNode.Handler {
        { [self] request in
            guard let id = request.id else { return nil }
            let target = request.params?["id"]?.stringValue ?? ""
            return box.withLock { box -> RPCResponse? in
                box.calls.append(request.method + (target.isEmpty ? "" : " " + target))
                func missing() -> RPCResponse { .failure(id: id, error: RPCError(.notFound, "no container \(String(reflecting: target))")) }
                switch request.method {
                case MethodName.nodeInfo.rawValue:
                    return .success(id: id, encoding: NodeInfo(version: "0", hostname: "fake", addresses: addresses, protocols: [1],
                                                               capabilities: [], uptimeSeconds: 1, managerMode: "user", runtime: "podman", stateDir: "/x"))
                case MethodName.containerPorts.rawValue:
                    guard let ports = box.ports[target] else { return missing() }
                    return .success(id: id, encoding: ContainerPortsResult(id: target, ports: ports))
                case MethodName.containerLinksGet.rawValue:
                    guard box.ports[target] != nil else { return missing() }
                    return .success(id: id, encoding: ContainerLinksResult(id: target, links: box.links[target] ?? []))
                case MethodName.containerLinksSet.rawValue:
                    guard box.ports[target] != nil else { return missing() }
                    guard let params = try? request.decodeParams(ContainerLinksSetParams.self) else { return .failure(id: id, error: RPCError(.invalidParams, "bad links")) }
                    box.links[target] = params.links
                    return .success(id: id, encoding: ContainerLinksResult(id: target, links: params.links))
                case MethodName.containerLinksAdd.rawValue:
                    guard box.ports[target] != nil else { return missing() }
                    guard let params = try? request.decodeParams(ContainerLinkAddParams.self) else { return .failure(id: id, error: RPCError(.invalidParams, "bad link")) }
                    var links = box.links[target] ?? []
                    let from = (params.link.fromHost ?? "127.0.0.1", params.link.fromPort)
                    let filled = LinkSpec(fromHost: from.0, fromPort: from.1, toHost: params.link.toHost, toPort: params.link.toPort)
                    if let index = links.firstIndex(where: { ($0.fromHost ?? "127.0.0.1") == from.0 && $0.fromPort == from.1 }) {
                        links[index] = filled
                    } else {
                        links.append(filled)
                    }
                    box.links[target] = links
                    return .success(id: id, encoding: ContainerLinksResult(id: target, links: links))
                case MethodName.containerLinksRemove.rawValue:
                    guard box.ports[target] != nil else { return missing() }
                    guard let params = try? request.decodeParams(ContainerLinkRemoveParams.self) else { return .failure(id: id, error: RPCError(.invalidParams, "bad link")) }
                    let links = box.links[target] ?? []
                    let kept = links.filter { !(($0.fromHost ?? "127.0.0.1") == (params.fromHost ?? "127.0.0.1") && $0.fromPort == params.fromPort) }
                    guard kept.count < links.count else { return .failure(id: id, error: RPCError(.notFound, "no link from there")) }
                    box.links[target] = kept
                    return .success(id: id, encoding: ContainerLinksResult(id: target, links: kept))
                case MethodName.containerInstall.rawValue:
                    guard let params = try? request.decodeParams(ContainerInstallParams.self) else { return .failure(id: id, error: RPCError(.invalidParams, "bad install")) }
                    guard box.ports[target] == nil else { return .failure(id: id, error: RPCError(.alreadyExists, "exists")) }
                    let ports = (params.ports ?? []).map { mapping -> PortMapping in
                        if mapping.external != 0 { return mapping }
                        box.nextPort += 1
                        return PortMapping(internal: mapping.internal, external: box.nextPort)
                    }
                    box.ports[target] = ports
                    return .success(id: id, encoding: ContainerStatus(id: target, image: params.image, state: "inactive", ports: ports))
                case MethodName.containerStart.rawValue:
                    guard box.ports[target] != nil else { return missing() }
                    box.started.insert(target)
                    return .success(id: id, encoding: ContainerStatus(id: target, image: "i", state: "active"))
                case MethodName.containerDelete.rawValue:
                    guard box.ports.removeValue(forKey: target) != nil else { return missing() }
                    box.links[target] = nil
                    box.started.remove(target)
                    return .success(id: id, result: .object(["done": true]))
                default:
                    return nil
                }
            }
        }
    }
}

@Suite struct LinkCommandTests {
    @Test func linkAsksTheTargetAndMergesOnTheSource() async throws {
        let target = LinkNode(ports: ["backend": [PortMapping(internal: 8080, external: 40123)]])
        let keep = LinkSpec(fromHost: "127.0.0.1", fromPort: 5432, toHost: "10.0.0.9", toPort: 5432)
        let old = LinkSpec(fromHost: nil, fromPort: 8080, toHost: "10.0.0.7", toPort: 1)
        let source = LinkNode(ports: ["front": []], links: ["front": [old, keep]])
        try await FakeNode.with(handler: target.handler) { b in
            try await FakeNode.with(handler: source.handler) { a in
                let result = await runCLI(["link", "\(a)/front", "--to", "\(b)/backend:8080"])
                #expect(result.code == .success, "\(result.err)")
                #expect(result.out == "linked \(a)/front 127.0.0.1:8080 -> 198.18.0.2:40123 (\(b)/backend:8080)\n")
                // One container.links.add: the node replaces the link from 127.0.0.1:8080 (fromHost nil
                // means 127.0.0.1) in its place and keeps the other; nothing is read and written back.
                #expect(source.links["front"] == [LinkSpec(fromHost: "127.0.0.1", fromPort: 8080, toHost: "198.18.0.2", toPort: 40123), keep])
                #expect(source.calls == ["container.links.add front"])

                let custom = await runCLI(["link", "\(a)/front", "--to", "\(b)/backend:8080", "--as", "10.1.2.3:80"])
                #expect(custom.code == .success, "\(custom.err)")
                #expect(source.links["front"]?.last == LinkSpec(fromHost: "10.1.2.3", fromPort: 80, toHost: "198.18.0.2", toPort: 40123))
                #expect(source.links["front"]?.count == 3)
            }
        }
    }

    @Test func anAliasHostWinsOverNodeInfo() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let target = LinkNode(ports: ["backend": [PortMapping(internal: 8080, external: 40123)]])
        let source = LinkNode(ports: ["front": []])
        try await FakeNode.with(handler: target.handler) { b in
            try await FakeNode.with(handler: source.handler) { a in
                try FileSystem.writeAtomically(Array("back = \(b) host=203.0.113.5\nfront = \(a)\n".utf8), to: directory.path + "/nodes")
                let result = await runCLI(["link", "front/front", "--to", "back/backend:8080"], environment: ["BERTH_CONFIG": directory.path + "/nodes"])
                #expect(result.code == .success, "\(result.err)")
                #expect(source.links["front"] == [LinkSpec(fromHost: "127.0.0.1", fromPort: 8080, toHost: "203.0.113.5", toPort: 40123)])
                #expect(!target.calls.contains("node.info"))
            }
        }
    }

    @Test func failuresNameTheNodeAndChangeNothing() async throws {
        let target = LinkNode(ports: ["backend": [PortMapping(internal: 8080, external: 40123)]])
        let source = LinkNode(ports: ["front": []])
        try await FakeNode.with(handler: target.handler) { b in
            try await FakeNode.with(handler: source.handler) { a in
                let port = await runCLI(["link", "\(a)/front", "--to", "\(b)/backend:9999"])
                #expect(port.code == .failure)
                #expect(port.err.contains("does not publish port 9999 (it publishes: 8080)"))
                let ghost = await runCLI(["link", "\(a)/front", "--to", "\(b)/ghost:8080"])
                #expect(ghost.code == .failure)
                #expect(ghost.err.contains("not_found"))
                let noSource = await runCLI(["link", "\(a)/ghost", "--to", "\(b)/backend:8080"])
                #expect(noSource.code == .failure)
                #expect(noSource.err.contains("\(a)") && noSource.err.contains("not_found"))
                #expect(source.links.isEmpty)
                // A target that fails is never followed by a change on the source; a missing source refuses the add.
                #expect(source.calls.filter { $0.hasPrefix("container.links.add") } == ["container.links.add ghost"])
            }
        }
    }

    @Test(arguments: [
        ["link", "web"], ["link", "web", "--to", "back"], ["link", "web", "--to", "back:0"], ["link", "web", "--to", "back:http"],
        ["link", "web", "--to", "back:80", "--as", "localhost:80"], ["link", "web", "--to", "back:80", "--as", "1.2.3.4"],
        ["link", "web", "--to", "back:80", "--as", "::1:80"], ["link", "a b/web", "--to", "back:80"],
        ["link", "web", "--to", "back:80", "--node", "unix:/a", "--node", "unix:/b"],
    ])
    func badCommandLinesAreUsageErrors(arguments: [String]) async {
        let result = await runCLI(arguments)
        #expect(result.code == .usage, "\(arguments): \(result.err)")
    }

    @Test func unlinkRemovesExactlyOne() async throws {
        let a = LinkSpec(fromHost: "127.0.0.1", fromPort: 80, toHost: "x", toPort: 1)
        let b = LinkSpec(fromHost: "127.0.0.2", fromPort: 80, toHost: "y", toPort: 2)
        let c = LinkSpec(fromHost: "fd00::1", fromPort: 443, toHost: "z", toPort: 3)
        let source = LinkNode(ports: ["front": []], links: ["front": [a, b, c]])
        try await FakeNode.with(handler: source.handler) { node in
            let result = await runCLI(["unlink", "\(node)/front", "--from", "127.0.0.2:80"])
            #expect(result.code == .success, "\(result.err)")
            #expect(result.out == "unlinked \(node)/front 127.0.0.2:80 (2 links left)\n")
            #expect(source.links["front"] == [a, c])
            let v6 = await runCLI(["unlink", "\(node)/front", "--from", "[fd00::1]:443", "--json"])
            #expect(v6.code == .success, "\(v6.err)")
            #expect(v6.out.contains("\"links\":[{"))
            #expect(source.links["front"] == [a])
            let none = await runCLI(["unlink", "\(node)/front", "--from", "127.0.0.2:80"])
            #expect(none.code == .failure)
            #expect(none.err.contains("\(node)") && none.err.contains("not_found"), "\(none.err)")
            #expect(source.links["front"] == [a])
            #expect(source.calls.allSatisfy { $0 == "container.links.remove front" })
        }
    }

    @Test(arguments: [
        ["unlink"], ["unlink", "web"], ["unlink", "web", "--from", "80"], ["unlink", "web", "--from", "localhost:80"],
        ["unlink", "web", "--from", "1.2.3.4:0"], ["unlink", "a", "b", "--from", "1.2.3.4:80"],
        ["unlink", "web", "--from", "1.2.3.4:80", "--node", "unix:/a", "--node", "unix:/b"],
    ])
    func badUnlinkCommandLinesAreUsageErrors(arguments: [String]) async {
        let result = await runCLI(arguments)
        #expect(result.code == .usage, "\(arguments): \(result.err)")
    }

    @Test func sourceParsing() {
        #expect(LinkTarget.parseSource("127.0.0.1:80")! == ("127.0.0.1", 80))
        #expect(LinkTarget.parseSource("[fd00::1]:443")! == ("fd00::1", 443))
        #expect(LinkTarget.parseSource("[fd00::1]") == nil)
        #expect(LinkTarget.parseSource("web:80") == nil)
        #expect(LinkTarget.parseSource("1.2.3.4:0") == nil)
    }

    @Test func reachHostPrefersAliasThenTCPThenInfo() {
        let info = NodeInfo(version: "0", hostname: "h", addresses: ["fe80::1%eth0", "2001:db8::5", "10.0.0.5"], protocols: [1],
                            capabilities: [], uptimeSeconds: 0, managerMode: "user", runtime: "podman", stateDir: "/")
        let unix = NodeTarget(name: "u", address: .unix(path: "/s"))
        #expect(LinkTarget.reachHost(unix, info: info) == "10.0.0.5")
        #expect(LinkTarget.reachHost(NodeTarget(name: "t", address: .tcp(host: "198.18.0.3", port: 7420)), info: nil) == "198.18.0.3")
        #expect(LinkTarget.needsInfo(NodeTarget(name: "t", address: .tcp(host: "127.0.0.1", port: 7420))))
        #expect(LinkTarget.reachHost(NodeTarget(name: "a", address: .unix(path: "/s"), host: "10.9.9.9"), info: info) == "10.9.9.9")
        #expect(LinkTarget.reachHost(unix, info: nil) == nil)
    }
}
