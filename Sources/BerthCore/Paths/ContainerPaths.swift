/// Every path that belongs to one container. The identifier rule (one path component, never `.`,
/// `..` or hidden, no `/`) keeps each of these inside its root, and each container's files sit in
/// directories named by its id alone, so removing one container cannot reach another's.
public struct ContainerPaths: Hashable, Sendable {
    public let layout: Layout
    public let id: Identifier

    public init(layout: Layout, id: Identifier) {
        self.layout = layout
        self.id = id
    }

    // MARK: State (stateDir)

    /// `<stateDir>/containers/<id>`: everything durable about the container.
    public var directory: String { "\(layout.containersDir)/\(id.rawValue)" }
    /// The container's record (its install request and metadata), JSON.
    public var record: String { "\(directory)/container.json" }
    /// The environment in the runtime's `--env-file` format (`RuntimeEnvironmentFile`).
    public var environmentFile: String { "\(directory)/environment" }
    /// The network links, JSON.
    public var linksFile: String { "\(directory)/links.json" }
    /// The port pairs as installed, JSON.
    public var portsFile: String { "\(directory)/ports.json" }
    /// `<stateDir>/home/<id>`: the container user's home.
    public var homeDir: String { "\(layout.homesDir)/\(id.rawValue)" }
    public var sshDir: String { "\(homeDir)/.ssh" }
    public var authorizedKeys: String { "\(sshDir)/authorized_keys" }
    /// `<stateDir>/logs/<id>`: the container's log (`ContainerLogFiles`).
    public var logDir: String { "\(layout.logsDir)/\(id.rawValue)" }
    public var logFiles: ContainerLogFiles { ContainerLogFiles(directory: logDir) }
    /// Present while the container is stopped for being idle.
    public var idleFlag: String { "\(layout.idleDir)/\(id.idleFlagName)" }

    // MARK: Run time (runDir)

    /// `<runDir>/containers/<id>`: scripts mounted into the container.
    public var runDir: String { "\(layout.runContainersDir)/\(id.rawValue)" }
    public var initScript: String { "\(runDir)/container-init.sh" }
    public var cmdScript: String { "\(runDir)/container-cmd.sh" }
    /// flock held while the container is being changed.
    public var lockFile: String { "\(layout.locksDir)/\(id.loginName).lock" }

    // MARK: Units (unitDir)

    public var unitFile: String { "\(layout.unitDir)/\(id.unitName)" }
    public var socketUnitFile: String { "\(layout.unitDir)/\(id.socketUnitName)" }
    /// `<unitDir>/berth-active.target.wants/ctr-<id>.service`: "started, and start on boot".
    public var startOnBootLink: String { "\(layout.startOnBootDir)/\(id.unitName)" }

    /// Directories owned by this container alone (removing the container removes these trees).
    public var directories: [String] { [directory, homeDir, runDir, logDir] }

    /// Files outside those directories that belong to this container alone.
    public var looseFiles: [String] { [idleFlag, lockFile, unitFile, socketUnitFile, startOnBootLink] }

    /// Every path above.
    public var all: [String] {
        directories + looseFiles + [record, environmentFile, linksFile, portsFile, sshDir, authorizedKeys,
                                    initScript, cmdScript]
    }
}
