import BerthProtocol

/// Limits on the container's own processes, given to the runtime (`--memory`, `--memory-swap`,
/// `--cpus`, `--pids-limit`), which sets them on the container's cgroup. Not the unit's
/// `MemoryMax=`/`CPUQuota=`/`TasksMax=`: the container's processes are not in the unit's cgroup but
/// in the one the runtime makes (podman's cgroup parent, the docker daemon's), so the unit's limits
/// would bound only the runtime CLI and conmon (docs/architecture-render.md, "Limits").
public struct ResourceLimits: Hashable, Sendable, Codable {
    /// Bytes.
    public var memory: Int?
    /// Memory plus swap, bytes (the runtime's meaning of --memory-swap); at least `memory`.
    public var memorySwap: Int?
    /// CPUs in thousandths (500 is half a CPU).
    public var cpuThousandths: Int?
    public var pids: Int?

    public init(memory: Int? = nil, memorySwap: Int? = nil, cpuThousandths: Int? = nil, pids: Int? = nil) {
        self.memory = memory
        self.memorySwap = memorySwap
        self.cpuThousandths = cpuThousandths
        self.pids = pids
    }

    enum CodingKeys: String, CodingKey { case memory, memorySwap, cpuThousandths, pids }

    /// The limits the wire's members describe (each field named as on the wire), or nil when none is
    /// given. Every bound is `ContractLimits`'.
    public static func checked(memory: Int?, memorySwap: Int?, cpus: Double?, pids: Int?) throws(RenderError) -> ResourceLimits? {
        if memory == nil && memorySwap == nil && cpus == nil && pids == nil { return nil }
        let bytes = ContractLimits.memoryMinimumBytes...ContractLimits.memoryMaximumBytes
        for (field, value) in [("memory", memory), ("memorySwap", memorySwap)] {
            if let value, !bytes.contains(value) {
                throw RenderError(field: field, value: "\(value)",
                                  reason: "must be from \(bytes.lowerBound) (6 MiB) to \(bytes.upperBound) (1 PiB) bytes")
            }
        }
        if let memorySwap {
            guard let memory else {
                throw RenderError(field: "memorySwap", value: "\(memorySwap)", reason: "needs memory: it is memory plus swap")
            }
            guard memorySwap >= memory else {
                throw RenderError(field: "memorySwap", value: "\(memorySwap)",
                                  reason: "is memory plus swap, so at least memory (\(memory)); equal to it means no swap")
            }
        }
        let cpuThousandths = try cpus.map { (value) throws(RenderError) -> Int in
            try Thousandths.checked(value, field: "cpus",
                                    range: ContractLimits.cpusMinimumThousandths...ContractLimits.cpusMaximum * 1000, unit: "CPUs")
        }
        if let pids, !(ContractLimits.pidsMinimum...ContractLimits.pidsMaximum).contains(pids) {
            throw RenderError(field: "pids", value: "\(pids)",
                              reason: "must be from \(ContractLimits.pidsMinimum) (the init and the command) to \(ContractLimits.pidsMaximum)")
        }
        return ResourceLimits(memory: memory, memorySwap: memorySwap, cpuThousandths: cpuThousandths, pids: pids)
    }

    /// CPUs as the wire shows them.
    public var cpus: Double? { cpuThousandths.map { Double($0) / 1000 } }

    /// The runtime's options (podman and docker spell them alike), each one `--option=value` word.
    public var runtimeArguments: [String] {
        var arguments: [String] = []
        if let memory { arguments.append("--memory=\(memory)") }
        if let memorySwap { arguments.append("--memory-swap=\(memorySwap)") }
        if let cpuThousandths { arguments.append("--cpus=" + Thousandths.render(cpuThousandths)) }
        if let pids { arguments.append("--pids-limit=\(pids)") }
        return arguments
    }
}
