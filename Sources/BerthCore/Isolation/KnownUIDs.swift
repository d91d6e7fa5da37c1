import BerthSystem

/// What one `UIDAllocator` (and its copies) knows of the uid claims: who holds which uid. Read from
/// the directory once (every claim file), then kept by the allocator's own claims and releases.
/// Without it every isolated install read every claim file to find the owner's uid and the free
/// ones, and so did every delete, isolated or not: a step per isolated container on every install
/// and delete, quadratic over a stream of them.
///
/// Only a hint: the link of a claim file decides every claim, and a release reads the claim it
/// removes first, so a stale hint never gives a uid twice nor frees someone else's. Claims and
/// releases by another process on the same directory are learnt when a claim finds a uid taken or
/// the range runs out (both read the directory again). Forgotten after any failed operation and by
/// `recover`, so the next one reads the directory.
final class KnownUIDs: Sendable {
    struct Claims: Sendable {
        var owners: [UInt32: Identifier] = [:]
        /// Each owner's uids, lowest first (one, unless a failed release left another).
        var byOwner: [Identifier: [UInt32]] = [:]

        init(_ claims: [(uid: UInt32, owner: Identifier)]) {
            for (uid, owner) in claims { add(uid, owner) }
        }

        mutating func add(_ uid: UInt32, _ owner: Identifier) {
            owners[uid] = owner
            byOwner[owner, default: []].append(uid)
            byOwner[owner]!.sort()
        }

        mutating func remove(_ uid: UInt32) {
            guard let owner = owners.removeValue(forKey: uid) else { return }
            byOwner[owner]?.removeAll { $0 == uid }
            if byOwner[owner]?.isEmpty == true { byOwner[owner] = nil }
        }
    }

    private let known = Lock<Claims?>(nil)

    /// The claims as last known; nil when the directory must be read.
    func claims() -> Claims? { known.withLock { $0 } }

    func set(_ claims: Claims) { known.withLock { $0 = claims } }

    func add(_ uid: UInt32, _ owner: Identifier) {
        known.withLock { k in if k != nil { k!.add(uid, owner) } }
    }

    func remove(_ uid: UInt32) {
        known.withLock { k in if k != nil { k!.remove(uid) } }
    }

    func forget() { known.withLock { $0 = nil } }
}
