import BerthCore
import BerthProtocol

/// The node's edge: turns wire params into checked domain values (the one place it converts them,
/// through `WireForms`); every failure is an `RPCError` naming the field.
enum InstallValidation {
    static func identifier(_ text: String) throws(RPCError) -> Identifier {
        do { return try Identifier(text) } catch {
            throw RPCError(.invalidIdentifier, error.description, details: ["id": .string(text)])
        }
    }

    static func image(_ image: String) throws(RPCError) {
        do { try ImageReference.validate(image) } catch {
            throw RPCError(.invalidParams, "image: \(error)", details: ["field": "image"])
        }
    }

    static func environment(_ entries: [EnvironmentEntry], field: String = "environment") throws(RPCError) -> Environment {
        if entries.count > ContractLimits.environmentVariables {
            throw RPCError(.invalidParams, "\(field): at most \(ContractLimits.environmentVariables) variables, not \(entries.count)",
                           details: ["field": .string(field)])
        }
        var env = Environment()
        for entry in entries {
            do { try env.set(EnvironmentVariable(wire: entry)) } catch {
                throw RPCError(.invalidParams, "\(field): \(error.description)", details: ["field": .string(field)])
            }
        }
        return env
    }

    static func ports(_ mappings: [PortMapping]) throws(RPCError) -> [PortPair] {
        if mappings.count > ContractLimits.ports {
            throw RPCError(.invalidParams, "ports: at most \(ContractLimits.ports), not \(mappings.count)", details: ["field": "ports"])
        }
        var internals = Set<UInt16>()
        var pairs: [PortPair] = []
        for mapping in mappings {
            if mapping.internal == 0 {
                throw RPCError(.invalidParams, "ports: the internal port may not be 0", details: ["field": "ports"])
            }
            if !internals.insert(mapping.internal).inserted {
                throw RPCError(.invalidParams, "ports: internal port \(mapping.internal) is given twice", details: ["field": "ports"])
            }
            pairs.append(PortPair(wire: mapping))
        }
        return pairs
    }

    static func volumes(_ volumes: [VolumeMount]) throws(RPCError) {
        if volumes.count > ContractLimits.volumes {
            throw RPCError(.invalidParams, "volumes: at most \(ContractLimits.volumes), not \(volumes.count)", details: ["field": "volumes"])
        }
        for volume in volumes {
            if max(volume.hostPath.schemaLength, volume.containerPath.schemaLength) > ContractLimits.pathCharacters {
                throw RPCError(.invalidParams, "volumes: a path is longer than \(ContractLimits.pathCharacters) characters",
                               details: ["field": "volumes"])
            }
            do { try volume.validate() } catch {
                throw RPCError(.invalidParams, "volumes: \(error)", details: ["field": "volumes"])
            }
        }
    }

    /// Links as the node keeps them (a missing `fromHost` filled in); the engine checks them
    /// (`checkedLinks`: that needs its resolver and link applier).
    static func links(_ specs: [LinkSpec]) -> [NetworkLink] {
        specs.map(NetworkLink.init(wire:))
    }

    /// The wire's slice names (`container`, `container-small`, `container-large`, or the unit names).
    static func slice(_ name: String?) throws(RPCError) -> String {
        switch name {
        case nil, "container", "berth", SharedUnits.slice: return SharedUnits.slice
        case "container-small", "small", SharedUnits.smallSlice: return SharedUnits.smallSlice
        case "container-large", "large", SharedUnits.largeSlice: return SharedUnits.largeSlice
        case let other?:
            throw RPCError(.invalidParams, "slice \(String(reflecting: other)) is not one of container, container-small, container-large",
                           details: ["field": "slice"])
        }
    }

    /// The restart policy and limits of `params` (nil each when none is given); the error names the member.
    static func restartAndLimits(_ params: ContainerInstallParams) throws(RPCError) -> (RestartPolicy?, ResourceLimits?) {
        do {
            return (try params.checkedRestartPolicy(), try params.checkedLimits())
        } catch {
            throw RPCError(.invalidParams, "\(error.field): \(error.value) \(error.reason)", details: ["field": .string(error.field)])
        }
    }

    /// 1 to `ContractLimits.requestIdCharacters` characters, no control characters, no blank at either
    /// end, no backslash at the end.
    static func requestId(_ requestId: String?) throws(RPCError) {
        guard let requestId else { return }
        func invalid(_ reason: String) -> RPCError {
            RPCError(.invalidParams, "requestId: \(reason)", details: ["field": "requestId"])
        }
        if requestId.isEmpty { throw invalid("may not be empty") }
        if requestId.schemaLength > ContractLimits.requestIdCharacters {
            throw invalid("may be at most \(ContractLimits.requestIdCharacters) characters, not \(requestId.schemaLength)")
        }
        if requestId.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw invalid("control characters are not allowed")
        }
        // It is kept in the unit's X-ContainerRequestId= line, which systemd trims and continues.
        if requestId.hasPrefix(" ") || requestId.hasSuffix(" ") || requestId.hasSuffix("\\") {
            throw invalid("may not start or end with a space, nor end with a backslash")
        }
    }

    /// At most `ContractLimits.commandArguments` arguments of at most `commandArgumentCharacters`
    /// each, none with a NUL. (Together they must also fit the unit's ExecStart= line, which the
    /// renderer checks.)
    static func command(_ command: [String]) throws(RPCError) {
        func invalid(_ reason: String) -> RPCError {
            RPCError(.invalidParams, "command: \(reason)", details: ["field": "command"])
        }
        if command.count > ContractLimits.commandArguments {
            throw invalid("at most \(ContractLimits.commandArguments) arguments, not \(command.count)")
        }
        for (i, argument) in command.enumerated() {
            if argument.schemaLength > ContractLimits.commandArgumentCharacters {
                throw invalid("argument \(i) is longer than \(ContractLimits.commandArgumentCharacters) characters")
            }
            if argument.utf8.contains(0) { throw invalid("argument \(i) contains a NUL byte") }
        }
    }

    /// An http(s) URL of at most `ContractLimits.environmentSourceCharacters`.
    static func environmentSource(_ source: String?) throws(RPCError) {
        guard let source else { return }
        func invalid(_ reason: String) -> RPCError {
            RPCError(.invalidParams, "environmentSource: \(reason)", details: ["field": "environmentSource"])
        }
        if source.schemaLength > ContractLimits.environmentSourceCharacters {
            throw invalid("longer than \(ContractLimits.environmentSourceCharacters) characters")
        }
        do { try EnvironmentDescription.validateSource(source) } catch { throw invalid(error.reason) }
    }

    /// Names for `env.patch`'s `unset`: valid names, at most `ContractLimits.environmentVariables`.
    static func unsetNames(_ names: [String]) throws(RPCError) {
        if names.count > ContractLimits.environmentVariables {
            throw RPCError(.invalidParams, "unset: at most \(ContractLimits.environmentVariables) names", details: ["field": "unset"])
        }
        if let bad = names.first(where: { !EnvironmentVariable.isValidName($0) }) {
            throw RPCError(.invalidParams, "unset: invalid name \(String(reflecting: String(bad.prefix(80)))): names are [A-Za-z_][A-Za-z0-9_]*",
                           details: ["field": "unset"])
        }
    }
}
