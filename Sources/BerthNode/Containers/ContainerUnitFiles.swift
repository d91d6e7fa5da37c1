import BerthCore
import BerthProtocol
import BerthSystem

/// A container's files for systemd: its units rendered from its record, the isolated container's
/// scripts and home, the start-on-boot links, and the node's shared targets and slices. Every path
/// comes from `Layout`.
///
/// Units and scripts are replaced atomically but not fsynced: `ContainerEngine.open()` renders every
/// record's files again and rewrites any that differ, so a file lost or cut short by a crash is
/// repaired before anything runs. A value: the engine calls it on its actor and on `berth-store`
/// threads alike.
struct ContainerUnitFiles: Sendable {
    let configuration: EngineConfiguration

    var layout: Layout { configuration.layout }

    // MARK: Rendering

    /// The unit spec of `record`, whose links hook (`ContainerLinkService.hook`) is `linkHook`.
    func spec(for record: ContainerRecord, linkHook: [String]?) throws -> ContainerUnitSpec {
        let id = try Identifier(record.id)
        let runtime = configuration.runtime
        let paths = layout.container(id)
        let systemScope = configuration.manager.mode == .system
        return ContainerUnitSpec(
            id: id, image: record.image, command: record.isolatedUID == nil ? record.command : [],  // isolated: in the cmd script
            ports: record.ports,
            environmentFilePath: paths.environmentFile,
            volumes: record.volumes,
            slice: record.slice,
            isolation: record.isolatedUID.map {
                ContainerIsolation(uid: $0, gid: $0, initScriptPath: paths.initScript, cmdScriptPath: paths.cmdScript)
            },
            requestId: record.requestId, runtime: runtime.runtime, runtimePath: runtime.path,
            shape: record.backendPorts == nil ? .simple : .socketActivated,
            postStartCommand: linkHook, dockerHost: runtime.runtime == .docker ? runtime.dockerHost : nil,
            socketActivation: record.backendPorts.map { SocketActivation(backendPorts: $0) },
            wantedBy: SharedUnits.activeTarget,
            after: systemScope ? nil : [], wants: systemScope ? nil : [],
            network: record.network, tools: runtime.tools,
            log: ContainerLogSpec(files: paths.logFiles, maxBytes: configuration.logMaxBytes),
            restart: record.restart, limits: record.limits)
    }

    /// The units of `record`, checked by the renderer (the last validation of an install).
    func render(_ record: ContainerRecord, linkHook: [String]?) throws -> ContainerUnits {
        try ContainerUnitRenderer.render(try spec(for: record, linkHook: linkHook))
    }

    /// Writes the units whose text differs from what the unit directory holds; true when any did.
    @discardableResult
    func write(_ units: ContainerUnits) throws -> Bool {
        var changed = false
        for unit in units.all {
            // A unit's lines are each at most ContractLimits.unitLineBytes, and only ExecStart= is long.
            if try writeIfChanged(Array(unit.text.utf8), to: layout.unitFile(named: unit.name), limit: 4 << 20, durable: false) {
                changed = true
            }
        }
        return changed
    }

    /// Writes `bytes` to `path` unless it already holds them; true when it wrote.
    private func writeIfChanged(_ bytes: [UInt8], to path: String, limit: Int, mode: UInt32 = 0o644, durable: Bool) throws -> Bool {
        guard try FileSystem.readIfExists(path, limit: limit) != bytes else { return false }
        try FileSystem.writeAtomically(bytes, to: path, mode: mode, durable: durable)
        return true
    }

    // MARK: Isolation

    /// The texts of an isolated container's init and cmd scripts; nil when it is not isolated.
    func isolationScripts(for record: ContainerRecord) throws(RenderError) -> (initScript: String, cmdScript: String)? {
        guard record.isolatedUID != nil, let id = Identifier(rawValue: record.id) else { return nil }
        return (try ContainerScripts.initScript(id: id), try ContainerScripts.cmdScript(id: id, argv: record.command))
    }

    /// An isolated container's init and cmd scripts (in runDir, so rewritten after every boot by
    /// `open()`) and its home, owned by its uid. Nothing for a container that is not isolated.
    func writeIsolationFiles(for record: ContainerRecord) throws {
        guard let uid = record.isolatedUID, let (initText, cmdText) = try isolationScripts(for: record) else { return }
        let paths = layout.container(try Identifier(record.id))
        try FileSystem.createDirectory(layout.runContainersDir, mode: 0o755)
        try FileSystem.createDirectory(paths.runDir, mode: 0o755)
        for (path, text) in [(paths.initScript, initText), (paths.cmdScript, cmdText)] {
            _ = try writeIfChanged(Array(text.utf8), to: path, limit: 1 << 20, mode: 0o755, durable: false)
        }
        try FileSystem.createDirectory(layout.homesDir, mode: 0o755)
        try FileSystem.createDirectory(paths.homeDir, mode: 0o700)
        try FileSystem.setOwner(paths.homeDir, uid: uid, gid: uid)
    }

    // MARK: Start-on-boot

    /// The units that make a container "started": its service, or its sockets when `record` is
    /// socket-activated.
    func activationUnits(_ id: Identifier, _ record: ContainerRecord?) -> [String] {
        guard let backends = record?.backendPorts else { return [ContainerUnitNames.service(id)] }
        return backends.keys.sorted().map { ContainerUnitNames.socket(id, externalPort: $0) }
    }

    /// Where the links that start socket-activated containers' sockets live.
    var socketsWantsDir: String { layout.wantsDir(of: SharedUnits.socketsTarget) }

    /// Start-on-boot: the service's link in `berth-active.target.wants`, or each socket's in
    /// `berth-sockets.target.wants`.
    func setStartOnBoot(_ id: Identifier, _ record: ContainerRecord?, _ active: Bool) throws {
        guard record?.backendPorts != nil else { return try layout.setStartOnBoot(id, active) }
        try FileSystem.createDirectory(socketsWantsDir)
        for socket in activationUnits(id, record) {
            let link = "\(socketsWantsDir)/\(socket)"
            if active {
                try FileSystem.symlinkAtomically(target: layout.unitFile(named: socket), at: link)
            } else {
                try FileSystem.remove(link)
            }
        }
    }

    func startsOnBoot(_ id: Identifier, _ record: ContainerRecord?) -> Bool {
        guard record?.backendPorts != nil else { return layout.startsOnBoot(id) }
        return activationUnits(id, record).allSatisfy { FileSystem.exists("\(socketsWantsDir)/\($0)") }
    }

    // MARK: Removal

    /// Removes every unit file and start-on-boot link of `id`, and nothing of another container.
    func remove(_ id: Identifier) throws {
        try layout.setStartOnBoot(id, false)
        if FileSystem.exists(socketsWantsDir) {
            for name in try FileSystem.list(socketsWantsDir) where ContainerUnitFiles.owner(ofUnit: name) == id {
                try FileSystem.remove("\(socketsWantsDir)/\(name)")
            }
        }
        let prefix = Identifier.unitPrefix + id.rawValue
        for name in try FileSystem.list(layout.unitDir) where name == prefix + ".service" || name.hasPrefix(prefix + "@") {
            try FileSystem.remove(layout.unitFile(named: name))
        }
    }

    /// The container unit files of containers that are not `installed`, by name (recovery stops
    /// then removes them).
    func orphanUnits(keeping installed: [Identifier: ContainerRecord]) throws -> [String] {
        try FileSystem.list(layout.unitDir).filter { name in
            guard let id = ContainerUnitFiles.owner(ofUnit: name) else { return false }
            return installed[id] == nil
        }
    }

    /// Removes the start-on-boot links of containers that are not `installed`.
    func removeOrphanLinks(keeping installed: [Identifier: ContainerRecord]) throws {
        for wants in [layout.startOnBootDir, socketsWantsDir] where FileSystem.exists(wants) {
            for name in try FileSystem.list(wants) {
                if let id = ContainerUnitFiles.owner(ofUnit: name), installed[id] == nil {
                    try FileSystem.remove("\(wants)/\(name)")
                }
            }
        }
    }

    /// `ctr-<id>.service`, `ctr-<id>@<port>.socket|service` -> id.
    static func owner(ofUnit name: String) -> Identifier? {
        guard name.hasPrefix(Identifier.unitPrefix) else { return nil }
        var rest = name.dropFirst(Identifier.unitPrefix.count)
        if let at = rest.firstIndex(of: "@") { rest = rest[..<at] } else if rest.hasSuffix(".service") {
            rest = rest.dropLast(".service".count)
        } else { return nil }
        return Identifier(rawValue: String(rest))
    }

    /// `ctr-<id>@<port>.socket` -> port.
    static func port(ofSocket name: String) -> UInt16? {
        guard let at = name.firstIndex(of: "@"), name.hasSuffix(".socket") else { return nil }
        return UInt16(name[name.index(after: at)...].dropLast(".socket".count))
    }

    // MARK: Shared units

    /// The docker runtime on the embedded manager talks to podman's Docker API, which the node serves
    /// itself as a unit, on the `unix://` path of `dockerHost`.
    var podmanAPISocket: String? {
        configuration.manager.mode == .embedded ? configuration.runtime.podmanAPISocket : nil
    }

    /// The node's targets and slices (and the podman API unit for docker on the embedded manager),
    /// written when their text differs, and `berth.target` linked into the manager's root target.
    func writeShared() throws {
        var units = try SharedUnits.targets(wantedBy: configuration.manager.rootTarget) + SharedUnits.slices()
        if let socket = podmanAPISocket, let podman = configuration.runtime.podmanAPIServer {
            units.append(try RuntimeConfiguration.podmanAPIUnit(socketPath: socket, podman: podman))
        }
        for unit in units {
            _ = try writeIfChanged(Array(unit.text.utf8), to: layout.unitFile(named: unit.name), limit: 1 << 20, durable: true)
        }
        let wants = layout.wantsDir(of: configuration.manager.rootTarget)
        try FileSystem.createDirectory(wants)
        if !FileSystem.exists("\(wants)/\(SharedUnits.target)") {
            try FileSystem.symlinkAtomically(target: layout.unitFile(named: SharedUnits.target), at: "\(wants)/\(SharedUnits.target)")
        }
    }
}
