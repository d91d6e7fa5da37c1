import BerthCore
import BerthProtocol
import BerthSystem

/// The on-disk container records, written so that a crash at any moment leaves each container
/// either wholly installed or absent:
///
/// - install: the record and environment file are written (fsynced) into
///   `<containersDir>/.staging-<id>-<random>/`, which is then renamed to `<containersDir>/<id>`:
///   the rename is the commit. Units are written after, from the record.
/// - delete: `<containersDir>/<id>` is renamed to `.deleting-<id>-<random>` (the commit), then removed.
/// - `recoverLeftovers()` removes staging and deleting directories a crash left.
///
/// Not thread-safe by itself: `ContainerEngine` serialises calls per container.
public struct ContainerStore: Sendable {
    public let layout: Layout

    public init(layout: Layout) { self.layout = layout }

    /// The largest record read back. A record keeps the install params as given (`installParams`) and
    /// the command again: at the contract's bounds (ContractLimits) that is a command of up to a unit
    /// line (1 MiB, whose bytes JSON may escape to 1.5 times as many) twice, an environment of 256 KiB
    /// (up to six times as many bytes escaped) and a status: under 6 MiB. Its bound only guards
    /// against a damaged file, so it leaves room.
    static let maxRecordBytes = 16 << 20

    static let stagingPrefix = ".staging-"
    static let deletingPrefix = ".deleting-"

    public func exists(_ id: Identifier) -> Bool { FileSystem.exists(layout.container(id).directory) }

    /// Commits a new container: record, environment and links appear together or not at all.
    public func create(_ record: ContainerRecord, environment: Environment, links: [NetworkLink] = []) throws {
        let id = try Identifier(record.id)
        let staging = "\(layout.containersDir)/\(ContainerStore.stagingPrefix)\(id.rawValue)-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.createDirectory(layout.containersDir, mode: 0o700)
        try FileSystem.createDirectory(staging, mode: 0o700)
        do {
            // Nothing reads the staging directory: each file is written once in place (and fsynced
            // by writeNew), and one fsync of the directory makes their names durable before the
            // rename publishes them.
            try FileSystem.writeNew(Array(RuntimeEnvironmentFile.render(environment).utf8), to: "\(staging)/environment", mode: 0o600)
            if !links.isEmpty {
                try FileSystem.writeNew(try LinkStoreFile.encode(links), to: "\(staging)/links.json", mode: 0o600)
            }
            try FileSystem.writeNew(try ContainerStore.encode(record), to: "\(staging)/container.json", mode: 0o600)
            try FileSystem.syncDirectory(staging)
            // rename(2) onto an existing empty directory would succeed: the caller checked `exists`
            // under the container's lock; a non-empty one fails with ENOTEMPTY.
            try FileSystem.move(staging, to: layout.container(id).directory)
            try FileSystem.syncDirectory(layout.containersDir)
        } catch {
            try? FileSystem.removeTree(staging)
            throw error
        }
    }

    /// Rewrites the record of an installed container.
    public func update(_ record: ContainerRecord) throws {
        let id = try Identifier(record.id)
        try FileSystem.writeAtomically(try ContainerStore.encode(record), to: layout.container(id).record, mode: 0o600)
    }

    public func writeEnvironment(_ environment: Environment, for id: Identifier) throws {
        try RuntimeEnvironmentFile.write(environment, to: layout.container(id).environmentFile)
    }

    /// Replaces the stored links (atomically: temp file, fsync, rename); no links removes the file.
    public func writeLinks(_ links: [NetworkLink], for id: Identifier) throws {
        let path = layout.container(id).linksFile
        if links.isEmpty {
            try FileSystem.remove(path)
            try FileSystem.syncDirectory(layout.container(id).directory)
        } else {
            try FileSystem.writeAtomically(try LinkStoreFile.encode(links), to: path, mode: 0o600)
        }
    }

    /// The stored links of a container; none when it has no links file.
    public func readLinks(_ id: Identifier) throws -> [NetworkLink] {
        try LinkStoreFile.read(layout.container(id).linksFile)
    }

    /// Rewrites an environment file an older node wrote in systemd's syntax into the runtime's format
    /// (the unit hands the file to the runtime as it is); returns whether it did.
    public func convertEnvironmentFile(_ id: Identifier) throws -> Bool {
        let path = layout.container(id).environmentFile
        guard let bytes = try FileSystem.readIfExists(path, limit: RuntimeEnvironmentFile.maxBytes),
              !bytes.starts(with: Array(RuntimeEnvironmentFile.header.utf8)) else { return false }
        try RuntimeEnvironmentFile.write(try RuntimeEnvironmentFile.parse(bytes: bytes), to: path)
        return true
    }

    public func readEnvironment(_ id: Identifier) throws -> Environment {
        try RuntimeEnvironmentFile.read(from: layout.container(id).environmentFile)
    }

    public func read(_ id: Identifier) throws -> ContainerRecord {
        let bytes = try FileSystem.read(layout.container(id).record, limit: ContainerStore.maxRecordBytes)
        return try JSONValueDecoder().decode(ContainerRecord.self, from: try JSONParser.parse(bytes))
    }

    /// Every committed record, by id. Damaged records are reported, not fatal.
    public func readAll() throws -> (records: [Identifier: ContainerRecord], damaged: [String]) {
        guard FileSystem.exists(layout.containersDir) else { return ([:], []) }
        var records: [Identifier: ContainerRecord] = [:]
        var damaged: [String] = []
        for name in try FileSystem.list(layout.containersDir) where !name.hasPrefix(".") {
            guard let id = Identifier(rawValue: name) else { damaged.append(name); continue }
            do { records[id] = try read(id) } catch { damaged.append(name) }
        }
        return (records, damaged)
    }

    /// Commits the removal of a container's record directory, then removes it.
    public func remove(_ id: Identifier) throws {
        let dir = layout.container(id).directory
        guard FileSystem.exists(dir) else { return }
        let doomed = "\(layout.containersDir)/\(ContainerStore.deletingPrefix)\(id.rawValue)-\(UInt32.random(in: 0...UInt32.max))"
        try FileSystem.move(dir, to: doomed)
        try FileSystem.syncDirectory(layout.containersDir)
        try FileSystem.removeTree(doomed)
    }

    /// Removes what an interrupted install or delete left; returns the names removed.
    public func recoverLeftovers() throws -> [String] {
        guard FileSystem.exists(layout.containersDir) else { return [] }
        var removed: [String] = []
        for name in try FileSystem.list(layout.containersDir)
        where name.hasPrefix(ContainerStore.stagingPrefix) || name.hasPrefix(ContainerStore.deletingPrefix) {
            try FileSystem.removeTree("\(layout.containersDir)/\(name)")
            removed.append(name)
        }
        return removed
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try JSONValueEncoder().encode(value).serialized()
    }
}
