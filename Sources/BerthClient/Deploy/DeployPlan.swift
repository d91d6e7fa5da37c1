import BerthProtocol

/// One container the descriptor asks for.
public struct DesiredInstance: Hashable, Sendable {
    public var id: String
    public var service: String
    public var node: String
    public var spec: InstanceSpec
    public var links: [SymbolicLink]
}

/// One step of a deploy. Steps run phase by phase: removals, installs, links, starts.
public struct DeployAction: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable { case remove, install, link, start }
    public var kind: Kind
    public var id: String
    public var node: String
    /// Why (a replacement, a removal, a changed link), for the person reading the plan.
    public var reason: String?
    /// For install: the service and what to install.
    public var service: String?
    public var spec: InstanceSpec?
    /// For link: the whole new set of links (a deploy owns its containers' links).
    public var links: [SymbolicLink]?

    public init(kind: Kind, id: String, node: String, reason: String? = nil, service: String? = nil,
                spec: InstanceSpec? = nil, links: [SymbolicLink]? = nil) {
        self.kind = kind
        self.id = id
        self.node = node
        self.reason = reason
        self.service = service
        self.spec = spec
        self.links = links
    }

    enum CodingKeys: String, CodingKey { case kind, id, node, reason, service, spec, links }

    /// One line of `--plan`.
    public var summary: String {
        let why = reason.map { " (\($0))" } ?? ""
        switch kind {
        case .remove: return "- remove \(id) on \(node)\(why)"
        case .install:
            let spec = self.spec ?? InstanceSpec(image: "?")
            let ports = spec.ports.map { $0.external == 0 ? "\($0.internal)" : "\($0.internal):\($0.external)" }
            return "+ install \(id) on \(node): \(spec.image)" + (ports.isEmpty ? "" : " ports \(ports.joined(separator: ","))") + why
        case .link:
            let links = links ?? []
            return "~ link \(id) on \(node): " + (links.isEmpty ? "no links" : links.map(\.description).joined(separator: ", ")) + why
        case .start: return "> start \(id) on \(node)\(why)"
        }
    }
}

/// The changes that take the nodes from `state` to `descriptor`: a pure value, computed without
/// any node, so `--plan` prints exactly what a deploy then does.
public struct DeployPlan: Hashable, Sendable {
    public var desired: [DesiredInstance]
    public var actions: [DeployAction]

    /// `nodes` (from --node) replaces the descriptor's top-level nodes when given.
    public init(descriptor: DeployDescriptor, state: DeployState, nodes override: [String]? = nil) {
        desired = DeployPlan.instances(descriptor, nodes: override)
        var removes: [DeployAction] = [], installs: [DeployAction] = [], links: [DeployAction] = [], starts: [DeployAction] = []
        var installed = Set<String>()
        let wanted = Set(desired.map(\.id))
        for instance in state.instances where !wanted.contains(instance.id) {
            removes.append(DeployAction(kind: .remove, id: instance.id, node: instance.node, reason: "no longer in the descriptor"))
        }
        for want in desired {
            if let have = state[want.id] {
                if let change = DeployPlan.replacementReason(have, want) {
                    removes.append(DeployAction(kind: .remove, id: have.id, node: have.node, reason: "replaced: \(change)"))
                } else {
                    if !have.started { starts.append(DeployAction(kind: .start, id: want.id, node: want.node, reason: "not started yet")) }
                    continue
                }
            }
            installed.insert(want.id)
            installs.append(DeployAction(kind: .install, id: want.id, node: want.node, service: want.service, spec: want.spec))
            starts.append(DeployAction(kind: .start, id: want.id, node: want.node))
        }
        for want in desired {
            let fresh = installed.contains(want.id)
            let before = fresh ? [] : (state[want.id]?.links.map(\.link) ?? [])
            let moved = want.links.filter { installed.contains($0.target) }.map(\.target)
            if fresh {
                if !want.links.isEmpty { links.append(DeployAction(kind: .link, id: want.id, node: want.node, links: want.links)) }
            } else if before != want.links {
                let was = before.isEmpty ? "no links" : before.map(\.description).joined(separator: ", ")
                links.append(DeployAction(kind: .link, id: want.id, node: want.node, reason: "was \(was)", links: want.links))
            } else if !moved.isEmpty {
                links.append(DeployAction(kind: .link, id: want.id, node: want.node,
                                          reason: "\(Set(moved).sorted().joined(separator: ", ")) reinstalled", links: want.links))
            }
        }
        let byID: (DeployAction, DeployAction) -> Bool = { $0.id < $1.id }
        actions = removes.sorted(by: byID) + installs.sorted(by: byID) + links.sorted(by: byID) + starts.sorted(by: byID)
    }

    public var isEmpty: Bool { actions.isEmpty }

    /// The lines `--plan` prints.
    public func render() -> [String] {
        actions.isEmpty ? ["no changes"] : actions.map(\.summary)
    }

    /// Every instance of every service, placed round robin by instance number (so adding one
    /// never moves the others).
    static func instances(_ descriptor: DeployDescriptor, nodes override: [String]?) -> [DesiredInstance] {
        var out: [DesiredInstance] = []
        for (name, service) in descriptor.services.sorted(by: { $0.key < $1.key }) {
            let placement = service.nodes ?? override ?? descriptor.nodes ?? []
            guard !placement.isEmpty else { continue }
            // validate() has checked them: a bad one never gets here.
            let spec = InstanceSpec(image: service.image, command: service.command, ports: service.ports ?? [],
                                    environment: service.environmentEntries,
                                    restart: (try? service.checkedRestartPolicy()) ?? nil,
                                    limits: (try? service.checkedLimits()) ?? nil)
            for index in 0..<service.instances {
                let links = (service.links ?? []).map { link in
                    let targetCount = max(descriptor.services[link.to]?.instances ?? 1, 1)
                    let source = link.source
                    return SymbolicLink(fromHost: source.host, fromPort: source.port,
                                        target: descriptor.instanceID(link.to, index: index % targetCount), targetPort: link.port)
                }
                out.append(DesiredInstance(id: descriptor.instanceID(name, index: index), service: name,
                                           node: placement[index % placement.count], spec: spec, links: links))
            }
        }
        return out
    }

    /// Why an installed instance cannot stay as it is, or nil when it can.
    static func replacementReason(_ have: DeployedInstance, _ want: DesiredInstance) -> String? {
        if have.node != want.node { return "moves from \(have.node) to \(want.node)" }
        var changed: [String] = []
        if have.spec.image != want.spec.image { changed.append("image") }
        if have.spec.command != want.spec.command { changed.append("command") }
        if have.spec.ports != want.spec.ports { changed.append("ports") }
        if have.spec.environment != want.spec.environment { changed.append("environment") }
        if have.spec.restart != want.spec.restart { changed.append("restart policy") }
        if have.spec.limits != want.spec.limits { changed.append("limits") }
        return changed.isEmpty ? nil : changed.joined(separator: ", ") + " changed"
    }
}
