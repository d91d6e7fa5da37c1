import BerthProtocol
import BerthSystem

extension Layout {
    /// Creates the shared directories (geard's `InitializeData`); existing ones are left as they are.
    public func prepare() throws {
        for (path, mode) in sharedDirectories { try FileSystem.createDirectory(path, mode: mode) }
    }

    /// The longest `requestId` accepted, in characters (Unicode scalars, as JSON Schema's `maxLength`
    /// counts them); its length never reaches a file name (see `requestRecord(forRequestId:)`).
    public static let maxRequestIdCharacters = ContractLimits.requestIdCharacters

    /// Where the result of the mutation with `requestId` is kept. The id is the client's string of up
    /// to 128 characters (512 UTF-8 bytes), so the name is the SHA-256 of its bytes in hex: 64
    /// characters for any id (never ENAMETOOLONG), nothing of the id's text in a path, and (short of
    /// a SHA-256 collision) different ids never share a record.
    public func requestRecord(forRequestId requestId: String) throws(LayoutError) -> String {
        guard !requestId.isEmpty else { throw LayoutError(input: requestId, reason: "a request id may not be empty") }
        let count = requestId.unicodeScalars.count
        guard count <= Layout.maxRequestIdCharacters else {
            throw LayoutError(input: String(requestId.unicodeScalars.prefix(32)) + "...",
                              reason: "a request id may be at most \(Layout.maxRequestIdCharacters) characters, not \(count)")
        }
        return "\(requestsDir)/\(Hex.encode(SHA256.hash(requestId.utf8))).json"
    }

    /// Whether `name` is a request record's file name (what `requestRecord(forRequestId:)` makes).
    public static func isRequestRecordName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return bytes.count == 64 + 5 && name.hasSuffix(".json")
            && bytes.prefix(64).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
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
