import Synchronization

/// What one `PortAllocator` (and its copies) knows of the claimed ports, so that allocating a port
/// need not list the claims directory: a listing per install costs a directory read that grows
/// with every container installed (quadratic over a stream of installs).
///
/// Only a hint: the link of a claim file decides every claim, so a wrong hint never gives a port
/// twice. It is kept exact for the allocator's own claims and releases; a port claimed by another
/// process is learnt when the link finds it taken; a port another process releases is not seen
/// until an allocation runs out of the range, which lists the directory again before it reports
/// exhaustion. Forgotten after any failed reservation and by `recover`, so the next one lists.
final class ClaimedPorts: Sendable {
    private let known = Mutex<Set<UInt16>?>(nil)

    /// The claimed ports, or nil when the directory must be listed.
    var current: Set<UInt16>? { known.withLock { $0 } }

    func set(_ ports: Set<UInt16>) { known.withLock { $0 = ports } }

    /// Adds ports found taken. Nothing when the hint is unknown: the next listing sees them.
    func insert<S: Sequence>(_ ports: S) where S.Element == UInt16 {
        known.withLock { if $0 != nil { $0!.formUnion(ports) } }
    }

    func remove<S: Sequence>(_ ports: S) where S.Element == UInt16 {
        known.withLock { if $0 != nil { $0!.subtract(ports) } }
    }

    func forget() { known.withLock { $0 = nil } }
}
