import BerthProtocol

extension ContainerUnitSpec {
    /// Checks every field; the error names the first one that is wrong.
    public func validate() throws(RenderError) {
        try ImageReference.validate(image)
        try SystemdEscaping.validateExecutablePath(runtimePath)
        for argument in command where argument.utf8.contains(0) {
            throw RenderError(field: "command argument", value: argument, reason: "contains a NUL byte")
        }
        var externals = Set<UInt16>()
        for pair in ports {
            let text = "\(pair.internal):\(pair.external)"
            if pair.internal == 0 { throw RenderError(field: "port pair", value: text, reason: "the internal port may not be 0") }
            if pair.external == 0 {
                throw RenderError(field: "port pair", value: text, reason: "the external port must be allocated before rendering")
            }
            if !externals.insert(pair.external).inserted {
                throw RenderError(field: "port pair", value: text, reason: "external port \(pair.external) is used twice")
            }
        }
        if let environmentFilePath { try VolumeMount.validatePath(environmentFilePath, field: "environment file path") }
        for volume in volumes { try volume.validate() }
        if let slice {
            try ContainerUnitNames.validate(slice, field: "slice")
            if !slice.hasSuffix(".slice") { throw RenderError(field: "slice", value: slice, reason: "must end in .slice") }
        }
        if let network { try ContainerUnitSpec.validateNetwork(network) }
        if let restart {
            _ = try RestartPolicy.checked(mode: restart.mode.rawValue, delaySeconds: restart.delaySeconds,
                                          burst: restart.burst, intervalSeconds: restart.intervalSeconds)
        }
        if let limits {
            _ = try ResourceLimits.checked(memory: limits.memory, memorySwap: limits.memorySwap, cpus: limits.cpus, pids: limits.pids)
        }
        if let requestId { _ = try SystemdEscaping.plainValue(requestId, field: "request id") }
        if let postStartCommand { _ = try SystemdEscaping.commandLine(postStartCommand) }
        if let dockerHost {
            if runtime != .docker { throw RenderError(field: "docker host", value: dockerHost, reason: "only the docker runtime uses DOCKER_HOST") }
            _ = try SystemdEscaping.environmentAssignment(name: "DOCKER_HOST", value: dockerHost)
        }
        if let isolation {
            try VolumeMount.validatePath(isolation.initScriptPath, field: "init script path")
            try VolumeMount.validatePath(isolation.cmdScriptPath, field: "cmd script path")
            if !command.isEmpty {
                throw RenderError(field: "command", value: command.joined(separator: " "),
                                  reason: "an isolated container runs its command from the cmd script; pass it there")
            }
        }
        if !(1...3600).contains(stopTimeoutSeconds) {
            throw RenderError(field: "stop timeout", value: "\(stopTimeoutSeconds)", reason: "must be 1 to 3600 seconds")
        }
        try ContainerUnitNames.validate(wantedBy, field: "wanted-by target")
        for name in after { try ContainerUnitNames.validate(name, field: "after unit") }
        for name in wants { try ContainerUnitNames.validate(name, field: "wants unit") }
        try validateSocketActivation()
    }

    private func validateSocketActivation() throws(RenderError) {
        guard shape == .socketActivated else {
            if socketActivation != nil {
                throw RenderError(field: "socket activation", value: shape.rawValue, reason: "given for a unit that is not socket-activated")
            }
            return
        }
        guard let activation = socketActivation else {
            throw RenderError(field: "socket activation", value: "", reason: "a socket-activated unit needs its backend ports")
        }
        if ports.isEmpty {
            throw RenderError(field: "port pair", value: "", reason: "a socket-activated unit needs at least one port")
        }
        try SystemdEscaping.validateExecutablePath(tools.socketProxy)
        if let wait = activation.waitCommand { _ = try SystemdEscaping.commandLine(wait) }
        if let idle = activation.proxyExitIdleSeconds, idle < 1 {
            throw RenderError(field: "proxy exit idle time", value: "\(idle)", reason: "must be at least 1 second")
        }
        var backends = Set<UInt16>()
        for pair in ports {
            guard let backend = activation.backendPorts[pair.external], backend != 0 else {
                throw RenderError(field: "backend port", value: "\(pair.external)", reason: "no backend port for external port \(pair.external)")
            }
            if !backends.insert(backend).inserted || ports.contains(where: { $0.external == backend }) {
                throw RenderError(field: "backend port", value: "\(backend)", reason: "used twice or equal to an external port")
            }
        }
        if activation.backendPorts.count != ports.count {
            throw RenderError(field: "backend port", value: "\(activation.backendPorts.count)", reason: "backend ports given for ports the container does not publish")
        }
    }
}

extension ContainerUnitSpec {
    /// A runtime network's name: 1-63 of `[A-Za-z0-9_.-]`, the first a letter or digit (podman's own
    /// rule, bounded), and not `host`: a container on the host's network shares the node's namespace,
    /// where its links would write rules. Modes written with `:` (`container:`, `ns:`) cannot pass.
    public static func validateNetwork(_ name: String) throws(RenderError) {
        let bytes = Array(name.utf8)
        func isAlnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        guard let first = bytes.first, isAlnum(first), bytes.count <= 63,
              bytes.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else {
            throw RenderError(field: "network", value: name, reason: "must be 1-63 of A-Z a-z 0-9 _ . -, starting with a letter or digit")
        }
        if ["host", "private", "slirp4netns", "pasta"].contains(name.lowercased()) {
            throw RenderError(field: "network", value: name, reason: "is a network mode, not a network; use a network made with `podman network create`")
        }
    }
}
