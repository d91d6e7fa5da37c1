import BerthSystem

/// What one `PortAllocator` (and its copies) knows of the claimed ports, so that allocating a port
/// neither lists the claims directory nor walks every claimed port from the bottom of the range:
/// both cost a step per container installed, on every install (quadratic over a stream of them).
///
/// It holds the claimed ports and where a scan for a free one may start (every port below it is
/// claimed or was bound when last tried). Only a hint: the link of a claim file decides every
/// claim, so a wrong hint never gives a port twice. It is kept exact for the allocator's own claims
/// and releases (a release moves the scan start back down); a port claimed by another process is
/// learnt when the link finds it taken; a port another process releases, or a bound port that was
/// freed, is not seen until an allocation runs out of the range, which lists the directory again
/// and scans from the bottom before it reports exhaustion. Forgotten after any failed reservation
/// and by `recover`, so the next one lists.
final class ClaimedPorts: Sendable {
    private struct Known {
        var ports: Set<UInt16>
        var scanFrom: UInt16
        /// Bumped by every release, so a reservation that scanned meanwhile does not move
        /// `scanFrom` above a port freed behind it.
        var releases: Int
    }
    private let known = Lock<Known?>(nil)

    /// Where a scan may start and a stamp for `advance`; nil when the directory must be listed.
    func start() -> (scanFrom: UInt16, stamp: Int)? {
        known.withLock { k in k.map { ($0.scanFrom, $0.releases) } }
    }

    /// Whether `port` is known to be claimed (false when nothing is known).
    func contains(_ port: UInt16) -> Bool { known.withLock { $0?.ports.contains(port) ?? false } }

    /// Replaces what is known with a listing (and the ports found taken since), scanned up to `scanFrom`.
    func set(_ ports: Set<UInt16>, scanFrom: UInt16) {
        known.withLock { $0 = Known(ports: ports, scanFrom: scanFrom, releases: 0) }
    }

    /// Adds ports found taken, and moves the scan start up to `scanFrom` unless a port was released
    /// since `stamp` was taken. Nothing when the hint is unknown: the next listing sees them.
    func advance(taken ports: [UInt16], scanFrom: UInt16, stamp: Int) {
        known.withLock { k in
            guard k != nil else { return }
            k!.ports.formUnion(ports)
            if k!.releases == stamp { k!.scanFrom = max(k!.scanFrom, scanFrom) }
        }
    }

    func remove(_ ports: [UInt16]) {
        guard let lowest = ports.min() else { return }
        known.withLock { k in
            guard k != nil else { return }
            k!.ports.subtract(ports)
            k!.scanFrom = min(k!.scanFrom, lowest)
            k!.releases &+= 1
        }
    }

    func forget() { known.withLock { $0 = nil } }
}
