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

// The restart policy and limits travel as flat members of install params, of a status and of a
// deploy service; the node checks them here once (`RenderError` names the wire member) and keeps
// the domain values. One protocol, so the eight members are read and written in one place.
public protocol RestartAndLimitMembers {
    var restart: String? { get set }
    var restartDelaySeconds: Double? { get set }
    var restartBurst: Int? { get set }
    var restartIntervalSeconds: Int? { get set }
    var memory: Int? { get set }
    var memorySwap: Int? { get set }
    var cpus: Double? { get set }
    var pids: Int? { get set }
}

extension RestartAndLimitMembers {
    public func checkedRestartPolicy() throws(RenderError) -> RestartPolicy? {
        try RestartPolicy.checked(mode: restart, delaySeconds: restartDelaySeconds, burst: restartBurst,
                                  intervalSeconds: restartIntervalSeconds)
    }

    public func checkedLimits() throws(RenderError) -> ResourceLimits? {
        try ResourceLimits.checked(memory: memory, memorySwap: memorySwap, cpus: cpus, pids: pids)
    }

    /// Sets the members from checked values (the CLI and `deploy` build params this way; a status
    /// shows what install took).
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

extension ContainerInstallParams: RestartAndLimitMembers {}
extension ContainerStatus: RestartAndLimitMembers {}
