import BerthSystem

/// A directory of exclusive claims, one file per claimed name, shared safely by any number of
/// threads and processes without a lock, and across crashes. `PortAllocator` (one file per port)
/// and `UIDAllocator` (one file per uid) are both built on it.
///
/// A name is *claimed* by writing a complete temporary file (`.claim-<pid>-<random>`, fsynced) and
/// `link(2)`-ing it to the name (`FileSystem.createExclusively`): of two claimers exactly one wins,
/// and a claim file exists either whole or not at all. The directory listing only suggests
/// candidates; the link decides. A crash can leave a temporary file that was never linked, which
/// claims nothing: `removeAbandonedTemporaries` removes those whose process is gone.
struct ClaimDirectory: Sendable {
    let path: String
    /// fsync claims and the directory (off only for benchmarks on throwaway state).
    let durable: Bool

    static let temporaryPrefix = ".claim-"
    /// Claim files are small; anything larger is not one of ours.
    static let maxClaimBytes = 4096

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func create() throws { try FileSystem.createDirectory(path, mode: 0o700) }

    /// Claims `name` with `contents`; false if it is already claimed. `beforeLink` is a crash-test
    /// hook that runs once the temporary file is complete.
    func claim(_ name: String, contents: [UInt8], syncing: Bool = true, beforeLink: () -> Void = {}) throws -> Bool {
        let temporary = file("\(ClaimDirectory.temporaryPrefix)\(Processes.currentID)-\(UInt64.random(in: 0...UInt64.max))")
        return try FileSystem.createExclusively(contents, at: file(name), via: temporary, mode: 0o600,
                                                durable: durable && syncing, beforeLink: beforeLink)
    }

    /// fsyncs the data of the claim `name` (one made without syncing); a claim that is gone is fine.
    func syncClaim(_ name: String) throws {
        guard durable else { return }
        try FileSystem.syncFile(file(name))
    }

    /// Replaces the contents of a claim its owner already holds.
    func replace(_ name: String, contents: [UInt8]) throws {
        try FileSystem.writeAtomically(contents, to: file(name), mode: 0o600)
    }

    /// The contents of the claim `name`, or nil if it is not claimed.
    func contents(of name: String) throws -> [UInt8]? {
        try FileSystem.readIfExists(file(name), limit: ClaimDirectory.maxClaimBytes)
    }

    func release(_ name: String) throws { try FileSystem.remove(file(name)) }

    /// Every name in the directory except temporary files; empty if the directory does not exist.
    func names() throws -> [String] {
        guard FileSystem.exists(path) else { return [] }
        return try FileSystem.list(path).filter { !$0.hasPrefix(ClaimDirectory.temporaryPrefix) }
    }

    /// fsyncs the directory, so claims and releases are durable.
    func sync() throws {
        if durable { try FileSystem.syncDirectory(path) }
    }

    /// Removes the temporary files of claimers that no longer run (they claimed nothing); returns
    /// their names. A live claimer's file is left alone: its link may still be coming.
    func removeAbandonedTemporaries() throws -> [String] {
        guard FileSystem.exists(path) else { return [] }
        var removed: [String] = []
        for name in try FileSystem.list(path).sorted()
        where name.hasPrefix(ClaimDirectory.temporaryPrefix) && !ClaimDirectory.isClaimerAlive(name) {
            try FileSystem.remove(file(name))
            removed.append(name)
        }
        return removed
    }

    /// `.claim-<pid>-<random>`: alive if that process still exists.
    static func isClaimerAlive(_ name: String) -> Bool {
        let rest = name.dropFirst(temporaryPrefix.count)
        guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]) else { return false }
        return Processes.exists(pid)
    }
}
