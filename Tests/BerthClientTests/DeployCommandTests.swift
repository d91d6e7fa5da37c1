import BerthProtocol
import BerthSystem
import Testing
@testable import BerthClient

@Suite struct DeployCommandTests {
    @Test func deployPlanRedeployAgainstFakeNodes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let h1 = LinkNode(addresses: ["198.18.0.1"]), h2 = LinkNode(addresses: ["198.18.0.2"])
        try await FakeNode.with(handler: h1.handler) { a in
            try await FakeNode.with(handler: h2.handler) { b in
                let config = directory.path + "/nodes", file = directory.path + "/app.json"
                try FileSystem.writeAtomically(Array("h1 = \(a)\nh2 = \(b)\n".utf8), to: config)
                let env = ["BERTH_CONFIG": config]
                func write(backends: Int) throws {
                    let descriptor = twoTier(backends: backends, frontends: 2)
                    var nodes = descriptor
                    nodes.nodes = ["h1", "h2"]
                    try FileSystem.writeAtomically(Array(encodeParams(nodes).description.utf8), to: file)
                }
                try write(backends: 1)
                let planned = await runCLI(["deploy", file, "--plan"], environment: env)
                #expect(planned.code == .success)
                #expect(planned.out.contains("+ install shop-backend-1 on h1"))
                #expect(h1.containers.isEmpty && h2.containers.isEmpty)
                #expect(!FileSystem.exists(directory.path + "/app.state.json"))

                let first = await runCLI(["deploy", file], environment: env)
                #expect(first.code == .success, "\(first.err)")
                #expect(h1.containers == ["shop-backend-1", "shop-frontend-1"] && h2.containers == ["shop-frontend-2"])
                #expect(h1.started == h1.containers && h2.started == h2.containers)
                let backendPort = try #require(h1.box.withLock { $0.ports["shop-backend-1"] }?.first?.external)
                // frontend-2 on h2 reaches backend-1 on h1 by h1's address (node.info) and allocated port.
                #expect(h2.links["shop-frontend-2"] == [LinkSpec(fromHost: "127.0.0.1", fromPort: 8080, toHost: "198.18.0.1", toPort: backendPort)])

                let same = await runCLI(["deploy", file], environment: env)
                #expect(same.out == "no changes\n")

                try write(backends: 2)
                let plan = await runCLI(["deploy", file, "--plan"], environment: env)
                #expect(plan.out.split(separator: "\n").count == 3)
                let second = await runCLI(["deploy", file], environment: env)
                #expect(second.code == .success, "\(second.err)")
                let newPort = try #require(h2.box.withLock { $0.ports["shop-backend-2"] }?.first?.external)
                #expect(h2.links["shop-frontend-2"] == [LinkSpec(fromHost: "127.0.0.1", fromPort: 8080, toHost: "198.18.0.2", toPort: newPort)])
                #expect(h2.calls.filter { $0.hasPrefix("container.install") } == ["container.install shop-frontend-2", "container.install shop-backend-2"])
                // frontend-1 kept its backend: its links were set once, by the first deploy.
                #expect(h1.calls.filter { $0 == "container.links.set shop-frontend-1" }.count == 1)

                try write(backends: 1)
                let shrink = await runCLI(["deploy", file], environment: env)
                #expect(shrink.code == .success, "\(shrink.err)")
                #expect(h2.containers == ["shop-frontend-2"])
            }
        }
    }

    @Test func aDeadNodeStopsTheDeployAndTheStateKeepsWhatWasDone() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let h1 = LinkNode()
        try await FakeNode.with(handler: h1.handler) { a in
            let file = directory.path + "/app.json"
            var descriptor = twoTier(backends: 1, frontends: 1)
            descriptor.nodes = nil
            descriptor.services["backend"]?.nodes = [a.description]
            descriptor.services["frontend"]?.nodes = ["unix:" + directory.path + "/dead.sock"]
            try FileSystem.writeAtomically(Array(encodeParams(descriptor).description.utf8), to: file)
            let result = await runCLI(["deploy", file])
            #expect(result.code == .failure)
            #expect(result.err.contains("dead.sock"))
            let state = try DeployState.load(directory.path + "/app.state.json")
            #expect(state.instances.map(\.id) == ["shop-backend-1"])
            #expect(h1.containers == ["shop-backend-1"])
            let plan = await runCLI(["deploy", file, "--plan"])
            // The backend is installed, not reinstalled; it still has to start (the installs failed first).
            #expect(!plan.out.contains("install shop-backend-1"))
            #expect(plan.out.contains("> start shop-backend-1 on \(a) (not started yet)"))
            #expect(plan.out.contains("+ install shop-frontend-1"))
        }
    }
}
