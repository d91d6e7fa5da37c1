import BerthSystem

/// Reserves host ports for containers, from a configurable range, safely across threads, processes
/// and crashes.
///
/// Storage: a `ClaimDirectory` with one file per reserved port, `<portsDir>/<port>`, holding a
/// `PortReservation` (owner, internal, external) as JSON. Claims are exclusive and whole (a
/// temporary file linked to the port's name), so no global lock is needed to allocate.
///
/// A crash can leave (a) a temporary file that was never linked, which reserves nothing, or
/// (b) complete reservations for an owner whose install did not finish. `recover(keeping:)` removes
/// (a), and, given the set of installed containers, releases (b); a retried `reserve` for the same
/// owner instead reuses (b). Either way no port is lost. See docs/architecture-core.md.
///
/// Callers serialise operations for one owner (the node holds the container's lock); operations
/// for different owners may run concurrently in any number of processes.
public struct PortAllocator: Sendable {
    public let directory: String
    public let range: ClosedRange<UInt16>
    /// Whether the host has nothing bound on a port (default: `PortProbe.isFree`).
    public let isPortFree: @Sendable (UInt16) -> Bool
    /// fsync claims and the directory (off only for benchmarks on throwaway state).
    public let durable: Bool
    /// Fault-injection points for crash tests; empty in production.
    public let hooks: PortAllocatorHooks
    let lockPath: String
    let claims: ClaimDirectory
    /// The claimed ports as far as this allocator knows (a hint; see `ClaimedPorts`).
    let knownClaims = ClaimedPorts()

    /// 20000-29999: below Linux's ephemeral range (32768-60999), so outgoing connections never sit on
    /// a port Berth hands out.
    public static let defaultRange: ClosedRange<UInt16> = 20000...29999

    public init(layout: Layout, range: ClosedRange<UInt16> = PortAllocator.defaultRange,
                isPortFree: @escaping @Sendable (UInt16) -> Bool = PortProbe.isFree,
                durable: Bool = true, hooks: PortAllocatorHooks = PortAllocatorHooks()) {
        self.directory = layout.portsDir
        self.lockPath = layout.portsLock
        self.range = range.lowerBound == 0 ? 1...max(1, range.upperBound) : range
        self.isPortFree = isPortFree
        self.durable = durable
        self.hooks = hooks
        self.claims = ClaimDirectory(path: layout.portsDir, durable: durable)
    }

    /// Reserves the external ports of `pairs` for `owner` and returns the pairs with every external
    /// port filled in, in the same order.
    ///
    /// - An explicit external port is reserved as asked (inside or outside the range); it fails if
    ///   another container holds it or another process has it bound.
    /// - An external 0 reuses the owner's existing reservation for the same internal port if there
    ///   is one (a reinstall keeps its ports), or takes the lowest free port of the range that no
    ///   process has bound. Free as far as this allocator knows: a port another process released
    ///   is taken again once the range above it runs out (`ClaimedPorts`).
    /// - The owner's reservations not in the result are released, but only after everything else
    ///   succeeded; on failure the ports claimed by this call are released and nothing else changes.
    /// - `ownerIsNew`: the caller knows `owner` holds nothing (a container the node has no record
    ///   of, after recovery released every orphan), so the owner's reservations are not looked up:
    ///   that lookup reads every claim file, a cost that grows with every container installed.
    public func reserve(for owner: Identifier, _ pairs: [PortPair], ownerIsNew: Bool = false) throws(PortAllocationError) -> [PortPair] {
        try reserve(for: owner, pairs, ownerIsNew: ownerIsNew, syncing: true)
    }

    /// `reserve` without waiting for the disk: the claims are linked (exclusive and visible to every
    /// other reserver at once, and they survive a crash of the process) but not fsynced, so a power
    /// loss may undo them. The caller must `syncClaims` the result before anything that relies on
    /// the ports is made durable. The node reserves on its engine's actor, one install at a time,
    /// and syncs off it, so concurrent installs' fsyncs overlap instead of queueing on the actor.
    public func reserveUnsynced(for owner: Identifier, _ pairs: [PortPair], ownerIsNew: Bool = false) throws(PortAllocationError) -> [PortPair] {
        try reserve(for: owner, pairs, ownerIsNew: ownerIsNew, syncing: false)
    }

    /// Makes the claims of `ports` durable: fsyncs each claim file, then the directory (which also
    /// makes any release made meanwhile durable). A no-op when the allocator is not durable.
    public func syncClaims(_ ports: [UInt16]) throws(PortAllocationError) {
        guard durable else { return }
        for port in ports { try storage { try claims.syncClaim(String(port)) } }
        try syncDirectory()
    }

    private func reserve(for owner: Identifier, _ pairs: [PortPair], ownerIsNew: Bool, syncing: Bool) throws(PortAllocationError) -> [PortPair] {
        do { try pairs.validate() } catch { throw PortAllocationError(.invalid, message: error.description) }
        try storage { try claims.create() }
        let existing = ownerIsNew ? [] : try reservations(for: owner)
        let owned = Dictionary(existing.map { ($0.external, $0) }, uniquingKeysWith: { a, _ in a })
        var result = pairs
        var kept = Set<UInt16>()
        var claimed: [UInt16] = []
        var released: [UInt16] = []
        do throws(PortAllocationError) {
            for (i, pair) in pairs.enumerated() where pair.external != 0 {
                let wanted = PortReservation(owner: owner, internal: pair.internal, external: pair.external)
                if let mine = owned[pair.external] {
                    if mine.internal != pair.internal { try rewrite(wanted) }
                    kept.insert(pair.external)
                } else {
                    try claimExplicit(wanted, syncing: syncing)
                    claimed.append(pair.external)
                }
                result[i] = wanted.pair
            }
            // Free ports are looked for from where the hint says (or, without one, from the bottom
            // of the range against a listing); the candidate only moves up, so no port is tried twice.
            let hint = knownClaims.start()
            var listed: Set<UInt16>? = hint == nil ? try listClaimed() : nil
            var candidate = hint?.scanFrom ?? range.lowerBound
            var lost: [UInt16] = []
            for (i, pair) in pairs.enumerated() where pair.external == 0 {
                let explicit = Set(pairs.map(\.external))
                if let reuse = existing.first(where: {
                    $0.internal == pair.internal && !kept.contains($0.external) && !explicit.contains($0.external)
                }) {
                    kept.insert(reuse.external)
                    result[i] = reuse.pair
                    continue
                }
                let port: UInt16
                do throws(PortAllocationError) {
                    port = try claimNext(owner: owner, internal: pair.internal, from: &candidate, lost: &lost, syncing: syncing) {
                        listed?.contains($0) ?? knownClaims.contains($0)
                    }
                } catch where error.kind == .exhausted && listed == nil {
                    // The hint may miss ports another process has released since: list, then scan again.
                    listed = try listClaimed()
                    candidate = range.lowerBound
                    port = try claimNext(owner: owner, internal: pair.internal, from: &candidate, lost: &lost, syncing: syncing) {
                        listed!.contains($0)
                    }
                }
                claimed.append(port)
                result[i] = PortPair(internal: pair.internal, external: port)
            }
            if let listed {
                knownClaims.set(listed.union(claimed).union(lost), scanFrom: candidate)
            } else {
                knownClaims.advance(taken: claimed + lost, scanFrom: candidate, stamp: hint!.stamp)
            }
        } catch {
            knownClaims.forget()
            for port in claimed { try? claims.release(String(port)) }
            throw error
        }
        for old in existing where !kept.contains(old.external) && !claimed.contains(old.external) {
            try storage { try claims.release(String(old.external)) }
            released.append(old.external)
        }
        knownClaims.remove(released)
        if syncing { try syncDirectory() }
        return result
    }

    /// The ports the claims directory holds, listed.
    private func listClaimed() throws(PortAllocationError) -> Set<UInt16> {
        try storage { try Set(claims.names().compactMap { UInt16($0) }) }
    }

    /// Releases `port` if `owner` holds it; returns whether it did. Another owner's port is never
    /// touched.
    @discardableResult
    public func release(_ port: UInt16, for owner: Identifier) throws(PortAllocationError) -> Bool {
        guard let reservation = try reservation(of: port), reservation.owner == owner else { return false }
        try storage { try claims.release(String(port)) }
        knownClaims.remove([port])
        try syncDirectory()
        return true
    }

    /// Releases every port `owner` holds; returns them.
    @discardableResult
    public func releaseAll(for owner: Identifier) throws(PortAllocationError) -> [UInt16] {
        let mine = try reservations(for: owner).map(\.external)
        for port in mine { try storage { try claims.release(String(port)) } }
        knownClaims.remove(mine)
        if !mine.isEmpty { try syncDirectory() }
        return mine
    }

    /// Every reservation, by port. Unreadable files (see `recover`) are skipped.
    public func reservations() throws(PortAllocationError) -> [PortReservation] {
        let names = try storage { try claims.names() }
        var out: [PortReservation] = []
        for port in names.compactMap({ UInt16($0) }).sorted() {
            if let r = try reservation(of: port) { out.append(r) }
        }
        return out
    }

    /// The reservations `owner` holds, by port.
    public func reservations(for owner: Identifier) throws(PortAllocationError) -> [PortReservation] {
        try reservations().filter { $0.owner == owner }
    }

    /// The reservation of `port`, or nil if it is free (or its file is unreadable).
    public func reservation(of port: UInt16) throws(PortAllocationError) -> PortReservation? {
        guard let bytes = try storage({ try claims.contents(of: String(port)) }) else { return nil }
        guard let r = PortReservation.decode(bytes), r.external == port else { return nil }
        return r
    }
}

/// Points where a crash test can stop an allocation (see PortAllocatorTests).
public struct PortAllocatorHooks: Sendable {
    /// Called after a claim's temporary file is complete, before it is linked.
    public var afterTemporaryWrite: (@Sendable (UInt16) -> Void)?
    /// Called right after a port is claimed.
    public var afterClaim: (@Sendable (UInt16) -> Void)?

    public init(afterTemporaryWrite: (@Sendable (UInt16) -> Void)? = nil,
                afterClaim: (@Sendable (UInt16) -> Void)? = nil) {
        self.afterTemporaryWrite = afterTemporaryWrite
        self.afterClaim = afterClaim
    }
}
