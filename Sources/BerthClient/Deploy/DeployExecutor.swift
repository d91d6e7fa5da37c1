import BerthCore
import BerthProtocol

/// Carries out a `DeployPlan` phase by phase (removals, installs, links, starts), nodes in
/// parallel within a phase and one node's steps in order. The state is saved after every phase,
/// and a phase with failures ends the deploy: the state then says what was done, and running the
/// deploy again plans only what is left.
public struct DeployExecutor: Sendable {
    /// The node each descriptor node name stands for, with its connect options.
    public var nodes: [String: (target: NodeTarget, options: ConnectOptions)]
    /// Per call; a node's phase may take this times its number of steps.
    public var timeout: Duration

    public init(nodes: [String: (target: NodeTarget, options: ConnectOptions)], timeout: Duration) {
        self.nodes = nodes
        self.timeout = timeout
    }

    enum Outcome: Sendable {
        case removed, installed(ContainerStatus), linked([ResolvedDeployLink]), started
    }

    /// Runs the plan from `state`; `save` is called with the state after each phase, `say` with
    /// each step done and `complain` with each failure. Returns the final state and whether all went well.
    public func run(_ plan: DeployPlan, from state: DeployState, save: (DeployState) throws -> Void,
                    say: (String) -> Void, complain: (String) -> Void) async -> (state: DeployState, ok: Bool) {
        var state = state
        let desired = Dictionary(plan.desired.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for kind in [DeployAction.Kind.remove, .install, .link, .start] {
            let actions = plan.actions.filter { $0.kind == kind }
            if actions.isEmpty { continue }
            var resolved: [String: [ResolvedDeployLink]] = [:]
            var failed = false
            if kind == .link {
                let (links, errors) = await resolveLinks(actions, state: state)
                resolved = links
                for error in errors { complain(error) }
                failed = !errors.isEmpty
            }
            let steps = actions.filter { $0.kind != .link || resolved[$0.id] != nil }
            for (action, result) in await perform(steps, resolved: resolved) {
                switch result {
                case .failure(let error):
                    failed = true
                    complain("\(nodeName(action.node)): \(action.id): \(CommandContext.describe(error))")
                case .success(let outcome):
                    say(apply(outcome, of: action, to: &state, desired: desired))
                }
            }
            do { try save(state) } catch {
                complain("\(error)")
                return (state, false)
            }
            if failed { return (state, false) }
        }
        return (state, true)
    }

    /// Records one step's outcome in the state and returns the line that reports it.
    func apply(_ outcome: Outcome, of action: DeployAction, to state: inout DeployState, desired: [String: DesiredInstance]) -> String {
        let on = "on \(action.node)"
        switch outcome {
        case .removed:
            state.forget(action.id)
            return "removed \(action.id) \(on)"
        case .installed(let status):
            let spec = action.spec ?? InstanceSpec(image: status.image)
            state.record(DeployedInstance(id: action.id, service: action.service ?? desired[action.id]?.service ?? "",
                                          node: action.node, spec: spec, ports: status.ports))
            return "installed \(action.id) \(on)" + (status.ports.isEmpty ? "" : " ports \(portsText(status.ports))")
        case .linked(let links):
            if var instance = state[action.id] {
                instance.links = links
                state.record(instance)
            }
            let text = links.map { "\($0.link.description) = \(NetworkLink.hostPort($0.toHost, $0.toPort))" }
            return "linked \(action.id) \(on): " + (text.isEmpty ? "no links" : text.joined(separator: ", "))
        case .started:
            if var instance = state[action.id] {
                instance.started = true
                state.record(instance)
            }
            return "started \(action.id) \(on)"
        }
    }

    /// The address and host port of every link target: ports from the state (as installed), the
    /// node's address from its alias, its tcp:// host or `node.info`.
    func resolveLinks(_ actions: [DeployAction], state: DeployState) async -> ([String: [ResolvedDeployLink]], [String]) {
        let targetNodes = Set(actions.flatMap { ($0.links ?? []).compactMap { state[$0.target]?.node } })
        var hosts: [String: String] = [:]
        var errors: [String] = []
        var asking: [String] = []
        var unanswered = Set<String>()
        for name in targetNodes.sorted() {
            guard let (target, _) = nodes[name] else { continue }
            if LinkTarget.needsInfo(target) { asking.append(name) } else if let host = LinkTarget.reachHost(target, info: nil) { hosts[name] = host }
        }
        let outcomes = await FanOut.run(asking.compactMap { nodes[$0].map { ($0.target.address, $0.options) } }, timeout: timeout) { client in
            try await client.ask(.nodeInfo, NoParams(), as: NodeInfo.self)
        }
        for (name, outcome) in zip(asking, outcomes) {
            switch outcome.result {
            case .success(let info):
                if let target = nodes[name]?.target, let host = LinkTarget.reachHost(target, info: info) { hosts[name] = host }
            case .failure(let error):
                unanswered.insert(name)
                errors.append("\(nodeName(name)): node.info: \(CommandContext.describe(error))")
            }
        }
        var resolved: [String: [ResolvedDeployLink]] = [:]
        actions: for action in actions {
            var links: [ResolvedDeployLink] = []
            for link in action.links ?? [] {
                guard let target = state[link.target] else {
                    errors.append("\(action.id): its link target \(link.target) is not installed"); continue actions
                }
                guard let host = hosts[target.node] else {
                    if nodes[target.node] == nil {
                        errors.append("\(action.id): its link target \(link.target) is on \(target.node), which is neither an address nor a known alias")
                    } else if !unanswered.contains(target.node) {
                        errors.append("\(action.id): no address to reach \(nodeName(target.node)) by; give its alias host=ADDR in the node config")
                    }
                    continue actions
                }
                guard let port = target.ports.first(where: { $0.internal == link.targetPort })?.external, port != 0 else {
                    errors.append("\(action.id): \(link.target) has no host port for \(link.targetPort)"); continue actions
                }
                links.append(ResolvedDeployLink(link: link, toHost: host, toPort: port))
            }
            resolved[action.id] = links
        }
        return (resolved, errors)
    }

    /// Runs `actions` (one kind), every node in parallel, each node's steps in order. Steps are
    /// grouped by address, so two names for one node share its connection and its order.
    func perform(_ actions: [DeployAction], resolved: [String: [ResolvedDeployLink]]) async -> [(DeployAction, Result<Outcome, any Error>)] {
        var results: [(DeployAction, Result<Outcome, any Error>)] = []
        var order: [(address: NodeAddress, options: ConnectOptions)] = []
        var byAddress: [NodeAddress: [DeployAction]] = [:]
        for action in actions {
            guard let node = nodes[action.node] else {
                results.append((action, .failure(DeployError("unknown node \(action.node)"))))
                continue
            }
            if byAddress[node.target.address] == nil { order.append((node.target.address, node.options)) }
            byAddress[node.target.address, default: []].append(action)
        }
        let most = byAddress.values.map(\.count).max() ?? 1
        let work = byAddress
        let outcomes = await FanOut.run(order, timeout: timeout * (most + 1)) { client in
            var done: [Result<Outcome, any Error>] = []
            for action in work[client.address] ?? [] {
                do { done.append(.success(try await step(action, client: client, links: resolved[action.id] ?? []))) } catch {
                    done.append(.failure(error))
                }
            }
            return done
        }
        for outcome in outcomes {
            let steps = byAddress[outcome.address] ?? []
            switch outcome.result {
            case .success(let done): results += zip(steps, done).map { ($0, $1) }
            case .failure(let error): results += steps.map { ($0, .failure(error)) }
            }
        }
        return results
    }

    func step(_ action: DeployAction, client: NodeClient, links: [ResolvedDeployLink]) async throws -> Outcome {
        let ref = ContainerRefParams(id: action.id)
        switch action.kind {
        case .remove:
            do {
                _ = try await client.ask(.containerDelete, ref, as: JSONValue.self)
            } catch let error as RPCError where error.kind == .notFound {
                // Already gone (deleted by hand, or an earlier run got this far): the goal is met.
            }
            return .removed
        case .install:
            let spec = action.spec ?? InstanceSpec(image: "")
            let result = try await client.ask(.containerInstall, spec.installParams(id: action.id), as: ContainerStatus.self)
            return .installed(result)
        case .link:
            let specs = links.map(\.wire)
            _ = try await client.ask(.containerLinksSet, ContainerLinksSetParams(id: action.id, links: specs), as: ContainerLinksResult.self)
            return .linked(links)
        case .start:
            _ = try await client.ask(.containerStart, ref, as: JSONValue.self)
            return .started
        }
    }

    func nodeName(_ name: String) -> String { nodes[name]?.target.description ?? name }
}
