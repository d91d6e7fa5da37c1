import BerthProtocol

// The one place the wire shapes of BerthProtocol and the domain values of BerthCore meet (a volume
// is one type, `BerthProtocol.VolumeMount`, validated by BerthCore's `validate()`).
//
// They stay two types because they decode differently: a wire shape decodes whatever is well-formed
// JSON, so the node can answer a bad value with `invalid_params` naming the field and the rule
// (InstallValidation on the node, the commands' own checks in the CLI); a domain value refuses to
// decode unless it is valid (a links file, an environment document). Nothing else converts between
// them: the node turns params into domain values once, at its edge, and results back here; the CLI
// builds params from the domain values it parsed.

extension PortPair {
    public init(wire: PortMapping) { self.init(internal: wire.internal, external: wire.external) }
    public var wire: PortMapping { PortMapping(internal: self.internal, external: external) }
}

extension EnvironmentVariable {
    public init(wire: EnvironmentEntry) { self.init(name: wire.name, value: wire.value) }
    public var wire: EnvironmentEntry { EnvironmentEntry(name: name, value: value) }
}

extension Environment {
    /// The variables in order, as `container.env.*` results and install params carry them.
    public var wire: [EnvironmentEntry] { variables.map(\.wire) }
}

extension NetworkLink {
    /// A missing `fromHost` is `defaultFromHost`.
    public init(wire: LinkSpec) {
        self.init(fromHost: wire.fromHost ?? NetworkLink.defaultFromHost, fromPort: wire.fromPort, toHost: wire.toHost, toPort: wire.toPort)
    }
    /// `fromHost` always filled in, as results carry it.
    public var wire: LinkSpec { LinkSpec(fromHost: fromHost, fromPort: fromPort, toHost: toHost, toPort: toPort) }
}

// The restart policy and limits travel as flat members of install params and of a status; the node
// checks them here once (`RenderError` names the wire member) and keeps the domain values.
extension ContainerInstallParams {
    public func checkedRestartPolicy() throws(RenderError) -> RestartPolicy? {
        try RestartPolicy.checked(mode: restart, delaySeconds: restartDelaySeconds, burst: restartBurst,
                                  intervalSeconds: restartIntervalSeconds)
    }

    public func checkedLimits() throws(RenderError) -> ResourceLimits? {
        try ResourceLimits.checked(memory: memory, memorySwap: memorySwap, cpus: cpus, pids: pids)
    }

    /// Sets the members from checked values (the CLI and `deploy` build params this way).
    public mutating func set(restart policy: RestartPolicy?, limits: ResourceLimits?) {
        restart = policy?.mode.rawValue
        restartDelaySeconds = policy?.delaySeconds
        restartBurst = policy?.burst
        restartIntervalSeconds = policy?.intervalSeconds
        memory = limits?.memory
        memorySwap = limits?.memorySwap
        cpus = limits?.cpus
        pids = limits?.pids
    }
}

extension ContainerStatus {
    /// Shows the container's restart policy and limits, as install took them.
    public mutating func set(restart policy: RestartPolicy?, limits: ResourceLimits?) {
        restart = policy?.mode.rawValue
        restartDelaySeconds = policy?.delaySeconds
        restartBurst = policy?.burst
        restartIntervalSeconds = policy?.intervalSeconds
        memory = limits?.memory
        memorySwap = limits?.memorySwap
        cpus = limits?.cpus
        pids = limits?.pids
    }
}
