import BerthSystem

/// Hands out one uid (used as the gid too) per isolated container, from a configurable range,
/// durably and safely across processes and crashes.
///
/// Like `PortAllocator`, a `ClaimDirectory`: one file per claimed uid, `<stateDir>/uids/<uid>`,
/// holding the owner's id and a newline, claimed exclusively and whole. A crash leaves either an
/// unlinked temporary file (claims nothing) or a claim whose install did not finish;
/// `recover(keeping:)` removes both, and a retried `reserve` for the same owner reuses the claim
/// instead.
///
/// Who holds which uid is read from the directory once and then kept in memory (`KnownUIDs`, shared
/// by copies of one allocator), so installs and deletes do not read every claim file.
///
/// Callers serialise operations for one owner (the node holds the container's lock).
public struct UIDAllocator: Sendable {
    public let directory: String
    public let range: ClosedRange<UInt32>
    public let durable: Bool
    let claimFiles: ClaimDirectory
    let known = KnownUIDs()

    /// 200000-299999: above the ids distributions hand to people and services and to the usual
    /// /etc/subuid ranges of the first users (100000-165535), so no isolated container shares a uid
    /// with anything else on the host.
    public static let defaultRange: ClosedRange<UInt32> = 200000...299999

    public init(layout: Layout, range: ClosedRange<UInt32> = UIDAllocator.defaultRange, durable: Bool = true) {
        self.directory = layout.uidsDir
        self.range = range.lowerBound == 0 ? 1...max(1, range.upperBound) : range
        self.durable = durable
        self.claimFiles = ClaimDirectory(path: layout.uidsDir, durable: durable)
    }

    /// The uid `owner` holds, claiming the lowest free one of the range if it holds none.
    public func reserve(for owner: Identifier) throws(UIDAllocationError) -> UInt32 {
        do {
            try storage { try claimFiles.create() }
            let (claims, fresh) = try knownClaims()
            if let uid = try reserve(for: owner, knowing: claims) { return uid }
            // Out of uids by what was known: what another process released is only seen by reading
            // the directory again.
            if !fresh, let uid = try reserve(for: owner, knowing: try knownClaims(reading: true).claims) { return uid }
        } catch {
            known.forget()
            throw error
        }
        throw UIDAllocationError("no free uid left in \(range.lowerBound)-\(range.upperBound)")
    }

    /// The uid `claims` says `owner` holds, or the lowest free one, claimed now; nil when none is free.
    private func reserve(for owner: Identifier, knowing claims: KnownUIDs.Claims) throws(UIDAllocationError) -> UInt32? {
        if let mine = claims.byOwner[owner]?.first { return mine }
        for uid in range where claims.owners[uid] == nil {
            if try claim(uid, for: owner) {
                known.add(uid, owner)
                return uid
            }
            known.forget()  // claimed by another process since the claims were read: read them next time
        }
        return nil
    }

    /// Releases every uid `owner` holds; returns them. Each claim is read before it is removed, so
    /// only claims naming `owner` go.
    @discardableResult
    public func releaseAll(for owner: Identifier) throws(UIDAllocationError) -> [UInt32] {
        do {
            var released: [UInt32] = []
            for uid in try knownClaims().claims.byOwner[owner] ?? [] {
                if try self.owner(of: uid) == owner {
                    try storage { try claimFiles.release(String(uid)) }
                    released.append(uid)
                }
                known.remove(uid)
            }
            if !released.isEmpty { try syncDirectory() }
            return released
        } catch {
            known.forget()
            throw error
        }
    }

    /// The uid `owner` holds, if any, as the directory says now (it is read: this answers for
    /// claims made and released by any process).
    public func uid(of owner: Identifier) throws(UIDAllocationError) -> UInt32? {
        try knownClaims(reading: true).claims.byOwner[owner]?.first
    }

    /// The claims as known, read from the directory when nothing is known or when `reading`; `fresh`
    /// tells whether they were read just now.
    func knownClaims(reading: Bool = false) throws(UIDAllocationError) -> (claims: KnownUIDs.Claims, fresh: Bool) {
        if !reading, let claims = known.claims() { return (claims, false) }
        let claims = KnownUIDs.Claims(try self.claims())
        known.set(claims)
        return (claims, true)
    }

    /// Every claim, by uid. Unreadable files are skipped (`recover` removes them).
    public func claims() throws(UIDAllocationError) -> [(uid: UInt32, owner: Identifier)] {
        let names = try storage { try claimFiles.names() }
        var out: [(uid: UInt32, owner: Identifier)] = []
        for uid in names.compactMap({ UInt32($0) }).sorted() {
            if let owner = try owner(of: uid) { out.append((uid, owner)) }
        }
        return out
    }

    /// Run before serving: removes temporary files of dead claimers and damaged claims, and releases
    /// every claim whose owner is not in `owners`. Returns the released uids.
    @discardableResult
    public func recover(keeping owners: Set<Identifier>) throws(UIDAllocationError) -> [UInt32] {
        known.forget()
        guard try storage({ FileSystem.exists(directory) }) else { return [] }
        _ = try storage { try claimFiles.removeAbandonedTemporaries() }
        var released: [UInt32] = []
        for name in try storage({ try claimFiles.names().sorted() }) {
            guard let uid = UInt32(name) else { continue }
            let owner = try owner(of: uid)
            if owner.map({ !owners.contains($0) }) ?? true {
                try storage { try claimFiles.release(name) }
                if owner != nil { released.append(uid) }
            }
        }
        try syncDirectory()
        return released
    }

    func owner(of uid: UInt32) throws(UIDAllocationError) -> Identifier? {
        guard let bytes = try storage({ try claimFiles.contents(of: String(uid)) }) else { return nil }
        var text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\n") else { return nil }  // a claim is written whole with its newline
        text.removeLast()
        return Identifier(rawValue: text)
    }

    func claim(_ uid: UInt32, for owner: Identifier) throws(UIDAllocationError) -> Bool {
        guard try storage({ try claimFiles.claim(String(uid), contents: Array((owner.rawValue + "\n").utf8)) }) else {
            return false
        }
        try syncDirectory()
        return true
    }

    func syncDirectory() throws(UIDAllocationError) {
        try storage { try claimFiles.sync() }
    }

    func storage<R>(_ body: () throws -> R) throws(UIDAllocationError) -> R {
        do { return try body() } catch let error as UIDAllocationError { throw error } catch {
            throw UIDAllocationError("uids directory \(directory): \(error)")
        }
    }
}

/// Why a uid could not be claimed or released.
public struct UIDAllocationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
