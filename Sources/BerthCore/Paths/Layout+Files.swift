import BerthSystem

extension Layout {
    /// Creates the shared directories (geard's `InitializeData`); existing ones are left as they are.
    public func prepare() throws {
        for (path, mode) in sharedDirectories { try FileSystem.createDirectory(path, mode: mode) }
    }

    /// The longest `requestId` accepted: its hex form plus `.json` stays under NAME_MAX (255).
    public static let maxRequestIdBytes = 120

    /// Where the result of the mutation with `requestId` is kept. The id is the client's string, so it
    /// is hex-encoded: any text maps to one safe file name, and different ids to different names.
    public func requestRecord(forRequestId requestId: String) throws(LayoutError) -> String {
        let bytes = Array(requestId.utf8)
        guard !bytes.isEmpty else { throw LayoutError(path: requestId, reason: "a request id may not be empty") }
        guard bytes.count <= Layout.maxRequestIdBytes else {
            throw LayoutError(path: requestId, reason: "a request id may be at most \(Layout.maxRequestIdBytes) bytes")
        }
        let hex = Array("0123456789abcdef".utf8)
        var name: [UInt8] = []
        for b in bytes { name.append(hex[Int(b >> 4)]); name.append(hex[Int(b & 15)]) }
        return "\(requestsDir)/\(String(decoding: name, as: UTF8.self)).json"
    }

    /// Marks the container "start on boot" (or clears the mark), like `systemctl enable` would, by a
    /// link in `berth-active.target.wants` to its unit file (geard's `SetUnitStartOnBoot`).
    public func setStartOnBoot(_ id: Identifier, _ active: Bool) throws {
        let paths = container(id)
        if active {
            try FileSystem.createDirectory(startOnBootDir)
            try FileSystem.symlinkAtomically(target: paths.unitFile, at: paths.startOnBootLink)
        } else {
            try FileSystem.remove(paths.startOnBootLink)
        }
    }

    /// Whether the container carries the start-on-boot mark (geard's `UnitStartOnBoot`).
    public func startsOnBoot(_ id: Identifier) -> Bool {
        FileSystem.exists(container(id).startOnBootLink)
    }
}
