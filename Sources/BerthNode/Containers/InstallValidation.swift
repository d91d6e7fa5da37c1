import BerthCore
import BerthProtocol

/// Turns wire params into checked values; every failure is an `RPCError` naming the field.
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

    static func environment(_ entries: [EnvironmentEntry]) throws(RPCError) -> Environment {
        var env = Environment()
        for entry in entries {
            do { try env.set(EnvironmentVariable(name: entry.name, value: entry.value)) } catch {
                throw RPCError(.invalidParams, error.description, details: ["field": "environment"])
            }
        }
        return env
    }

    static func ports(_ mappings: [PortMapping]) throws(RPCError) -> [PortPair] {
        var internals = Set<UInt16>()
        var pairs: [PortPair] = []
        for mapping in mappings {
            if mapping.internal == 0 {
                throw RPCError(.invalidParams, "ports: the internal port may not be 0", details: ["field": "ports"])
            }
            if !internals.insert(mapping.internal).inserted {
                throw RPCError(.invalidParams, "ports: internal port \(mapping.internal) is given twice", details: ["field": "ports"])
            }
            pairs.append(PortPair(internal: mapping.internal, external: mapping.external))
        }
        return pairs
    }

    static func volumes(_ volumes: [BerthProtocol.VolumeMount]) throws(RPCError) -> [BerthCore.VolumeMount] {
        var result: [BerthCore.VolumeMount] = []
        for volume in volumes {
            let mount = BerthCore.VolumeMount(hostPath: volume.hostPath, containerPath: volume.containerPath,
                                              readOnly: volume.readOnly ?? false)
            do { try mount.validate() } catch {
                throw RPCError(.invalidParams, "volumes: \(error)", details: ["field": "volumes"])
            }
            result.append(mount)
        }
        return result
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

    static func requestId(_ requestId: String?, layout: Layout) throws(RPCError) {
        guard let requestId else { return }
        do { _ = try layout.requestRecord(forRequestId: requestId) } catch {
            throw RPCError(.invalidParams, "requestId: \(error.reason)", details: ["field": "requestId"])
        }
        if requestId.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw RPCError(.invalidParams, "requestId: control characters are not allowed", details: ["field": "requestId"])
        }
    }
}
