import BerthProtocol
import Testing
@testable import BerthClient

/// The two-tier app of docs/deploy.md: backends publish 8080, frontends reach them at 127.0.0.1:8080.
func twoTier(backends: Int = 1, frontends: Int = 2, linkAs: String? = nil) -> DeployDescriptor {
    DeployDescriptor(name: "shop", nodes: ["h1", "h2", "h3"], services: [
        "backend": DeployService(image: "localhost/berth-httpd", count: backends, ports: [PortMapping(internal: 8080)],
                                 environment: ["BERTH_PAGE": "backend"]),
        "frontend": DeployService(image: "localhost/berth-httpd", count: frontends,
                                  links: [DeployLink(to: "backend", port: 8080, as: linkAs)]),
    ])
}

/// The state a complete deploy of `plan` leaves (ports allocated from 40001 up, all links set).
func applied(_ plan: DeployPlan, over state: DeployState = DeployState()) -> DeployState {
    var state = state
    var port: UInt16 = 40000 + UInt16(state.instances.count)
    for action in plan.actions {
        switch action.kind {
        case .remove: state.forget(action.id)
        case .install:
            let ports = action.spec!.ports.map { m -> PortMapping in port += 1; return PortMapping(internal: m.internal, external: port) }
            state.record(DeployedInstance(id: action.id, service: action.service!, node: action.node, spec: action.spec!, ports: ports))
        case .link:
            var instance = state[action.id]!
            instance.links = action.links!.map { ResolvedDeployLink(link: $0, toHost: "x", toPort: 1) }
            state.record(instance)
        case .start:
            var instance = state[action.id]!
            instance.started = true
            state.record(instance)
        }
    }
    return state
}

@Suite struct DeployPlanTests {
    @Test func theFirstDeployInstallsLinksAndStartsEverything() {
        let plan = DeployPlan(descriptor: twoTier(), state: DeployState())
        #expect(plan.render() == [
            "+ install shop-backend-1 on h1: localhost/berth-httpd ports 8080",
            "+ install shop-frontend-1 on h1: localhost/berth-httpd",
            "+ install shop-frontend-2 on h2: localhost/berth-httpd",
            "~ link shop-frontend-1 on h1: 127.0.0.1:8080 -> shop-backend-1:8080",
            "~ link shop-frontend-2 on h2: 127.0.0.1:8080 -> shop-backend-1:8080",
            "> start shop-backend-1 on h1",
            "> start shop-frontend-1 on h1",
            "> start shop-frontend-2 on h2",
        ])
    }

    @Test func redeployingTheSameDescriptorChangesNothing() {
        let state = applied(DeployPlan(descriptor: twoTier(), state: DeployState()))
        let again = DeployPlan(descriptor: twoTier(), state: state)
        #expect(again.isEmpty)
        #expect(again.render() == ["no changes"])
    }

    @Test func oneMoreBackendAndAChangedLinkAreExactlyThat() {
        let state = applied(DeployPlan(descriptor: twoTier(), state: DeployState()))
        let plan = DeployPlan(descriptor: twoTier(backends: 2), state: state)
        // frontend-2 now reaches backend-2 (instance N links to N mod count); frontend-1 is untouched.
        #expect(plan.render() == [
            "+ install shop-backend-2 on h2: localhost/berth-httpd ports 8080",
            "~ link shop-frontend-2 on h2: 127.0.0.1:8080 -> shop-backend-2:8080 (was 127.0.0.1:8080 -> shop-backend-1:8080)",
            "> start shop-backend-2 on h2",
        ])
        let changedAs = DeployPlan(descriptor: twoTier(linkAs: "127.0.0.1:9090"), state: state)
        #expect(changedAs.actions.map(\.kind) == [.link, .link])
        #expect(changedAs.actions.allSatisfy { $0.links == [SymbolicLink(fromHost: "127.0.0.1", fromPort: 9090, target: "shop-backend-1", targetPort: 8080)] })
    }

    @Test func fewerInstancesRemoveTheLastOnes() {
        let state = applied(DeployPlan(descriptor: twoTier(frontends: 3), state: DeployState()))
        let plan = DeployPlan(descriptor: twoTier(frontends: 1), state: state)
        #expect(plan.render() == [
            "- remove shop-frontend-2 on h2 (no longer in the descriptor)",
            "- remove shop-frontend-3 on h3 (no longer in the descriptor)",
        ])
    }

    @Test func aChangedImageReplacesAndRelinksItsClients() {
        let state = applied(DeployPlan(descriptor: twoTier(), state: DeployState()))
        var descriptor = twoTier()
        descriptor.services["backend"]?.image = "localhost/other:2"
        let plan = DeployPlan(descriptor: descriptor, state: state)
        #expect(plan.render() == [
            "- remove shop-backend-1 on h1 (replaced: image changed)",
            "+ install shop-backend-1 on h1: localhost/other:2 ports 8080",
            "~ link shop-frontend-1 on h1: 127.0.0.1:8080 -> shop-backend-1:8080 (shop-backend-1 reinstalled)",
            "~ link shop-frontend-2 on h2: 127.0.0.1:8080 -> shop-backend-1:8080 (shop-backend-1 reinstalled)",
            "> start shop-backend-1 on h1",
        ])
    }

    @Test func moreNodesMoveNothingButNewInstancesAndOverridesPlaceOnTheirNodes() {
        let state = applied(DeployPlan(descriptor: twoTier(), state: DeployState()))
        let moved = DeployPlan(descriptor: twoTier(), state: state, nodes: ["h3"])
        #expect(moved.actions.filter { $0.kind == .remove }.map(\.reason) == Array(repeating: "replaced: moves from h1 to h3", count: 2) + ["replaced: moves from h2 to h3"])
        #expect(moved.actions.filter { $0.kind == .install }.allSatisfy { $0.node == "h3" })
    }

    @Test func anInstanceLeftInstalledByAFailedDeployIsStarted() {
        var state = applied(DeployPlan(descriptor: twoTier(), state: DeployState()))
        var backend = state["shop-backend-1"]!
        backend.started = false
        state.record(backend)
        #expect(DeployPlan(descriptor: twoTier(), state: state).render() == ["> start shop-backend-1 on h1 (not started yet)"])
    }

    @Test(arguments: [
        (#"{"services": {}}"#, "services: at least one service"),
        (#"{"services": {"a": {"image": "x"}}}"#, "services.a: no nodes"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "colour": 1}}}"#, "colour"),
        (#"{"nodes": ["h1"], "services": {"a b": {"image": "x"}}}"#, "services.a b:"),
        (#"{"nodes": ["h 1"], "services": {"a": {"image": "x"}}}"#, "nodes:"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "-x"}}}"#, "services.a.image:"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "count": -1}}}"#, "services.a.count:"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "links": [{"to": "b", "port": 80}]}}}"#, "services.a.links[0]: no service \"b\""),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "links": [{"to": "a", "port": 80}]}}}"#, "does not publish port 80"),
        (#"{"nodes": ["h1"], "services": {"b": {"image": "x", "ports": [{"internal": 80, "external": 0}]}, "a": {"image": "x", "links": [{"to": "b", "port": 80, "as": "127.0.0.1:80; rm"}]}}}"#, "services.a.links[0].as:"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "environment": {"A B": "1"}}}}"#, "services.a.environment.A B:"),
        (#"{"name": "../x", "nodes": ["h1"], "services": {"a": {"image": "x"}}}"#, "name:"),
        ("[1", "not valid JSON"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "restart": "sometimes"}}}"#, "services.a.restart:"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "memory": 1048576}}}"#, "services.a.memory:"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "memorySwap": 67108864}}}"#, "services.a.memorySwap:"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "cpus": 0}}}"#, "services.a.cpus:"),
        (#"{"nodes": ["h1"], "services": {"a": {"image": "x", "pids": 1}}}"#, "services.a.pids:"),
    ])
    func badDescriptorsAreRefusedNamingTheField(text: String, expected: String) {
        #expect {
            try DeployDescriptor.parse(Array(text.utf8))
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    /// The policy and limits reach the install params (built in one place for `install` and `deploy`),
    /// and changing them reinstalls the instance, saying why.
    @Test func restartAndLimitsAreInstalledAndAChangeReinstalls() throws {
        let text = #"{"nodes": ["h1"], "services": {"a": {"image": "x", "restart": "always", "restartBurst": 3, "memory": 67108864, "cpus": 0.5, "pids": 64}}}"#
        let descriptor = try DeployDescriptor.parse(Array(text.utf8))
        let plan = DeployPlan(descriptor: descriptor, state: DeployState())
        let spec = try #require(plan.actions.first { $0.kind == .install }?.spec)
        #expect(encodeParams(spec.installParams(id: "a-1")) == .object([
            "id": "a-1", "image": "x", "restart": "always", "restartBurst": 3, "memory": 67108864, "cpus": 0.5, "pids": 64,
        ]))
        var changed = descriptor
        changed.services["a"]?.memory = 134217728
        let again = DeployPlan(descriptor: changed, state: applied(plan))
        #expect(again.render().contains { $0.contains("limits changed") }, "\(again.render())")
        changed = descriptor
        changed.services["a"]?.restart = "on-failure"
        #expect(DeployPlan(descriptor: changed, state: applied(plan)).render().contains { $0.contains("restart policy changed") })
        #expect(DeployPlan(descriptor: descriptor, state: applied(plan)).isEmpty)
    }

    @Test func theStateRoundTripsThroughItsFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = applied(DeployPlan(descriptor: twoTier(), state: DeployState()))
        try state.save(directory.path + "/s.json")
        #expect(try DeployState.load(directory.path + "/s.json") == state)
        #expect(try DeployState.load(directory.path + "/none.json") == DeployState())
        #expect(DeployCommand.defaultStatePath(for: "app.json") == "app.state.json")
        #expect(DeployCommand.defaultStatePath(for: "app") == "app.state.json")
    }
}
