import BerthCore
import BerthProtocol

/// What an install claims before its record commits: host ports (with a loopback backend port per
/// port when socket-activated) and, when isolated, a uid. Made in one call and released in one
/// place: `holding` gives every claim back when anything before the commit fails, so no step of
/// `install` carries a rollback of its own. After the commit the record names the claims and they
/// stay; a crash in between leaves claims without a record, which `open()` releases.
struct InstallReservation: Sendable {
    let id: Identifier
    /// The ports asked for, external ports filled in, in the order asked.
    let ports: [PortPair]
    /// Socket activation: the loopback backend port of each external port. Nil otherwise.
    let backendPorts: [UInt16: UInt16]?
    /// The uid of an isolated container.
    let uid: UInt32?
    private let portAllocator: PortAllocator
    private let uidAllocator: UIDAllocator
    /// Every port claimed, backends included (`syncClaims`).
    private let claimed: [UInt16]

    /// Claims the ports of `pairs` (and one backend port each when `socketActivated`), then a uid when
    /// `isolate`. The port claims are linked but not fsynced (`PortAllocator.reserveUnsynced`): the
    /// caller runs `syncClaims` before the record that names them is made durable. Nothing stays
    /// claimed when it throws.
    init(for id: Identifier, _ pairs: [PortPair], socketActivated: Bool, isolate: Bool, ownerIsNew: Bool,
         ports portAllocator: PortAllocator, uids uidAllocator: UIDAllocator) throws(RPCError) {
        // The backend ports are reserved in the same call, under internal numbers no real pair uses
        // (the allocator keys reuse by internal port).
        var requested = pairs
        if socketActivated {
            let used = Set(pairs.map(\.internal))
            let markers = (UInt16(1)...UInt16.max).reversed().lazy.filter { !used.contains($0) }.prefix(pairs.count)
            requested += markers.map { PortPair(internal: $0, external: 0) }
        }
        let reserved: [PortPair]
        do { reserved = try portAllocator.reserveUnsynced(for: id, requested, ownerIsNew: ownerIsNew) } catch {
            throw RPCError(.portUnavailable, "\(error)", details: ["id": .string(id.rawValue)])
        }
        var uid: UInt32?
        if isolate {
            do { uid = try uidAllocator.reserve(for: id) } catch {
                _ = try? portAllocator.releaseAll(for: id)
                throw RPCError(.invalidParams, "isolate: \(error)", details: ["field": "isolate"])
            }
        }
        let allocated = Array(reserved.prefix(pairs.count))
        self.id = id
        self.ports = allocated
        self.backendPorts = socketActivated
            ? Dictionary(uniqueKeysWithValues: zip(allocated.map(\.external), reserved.dropFirst(pairs.count).map(\.external)))
            : nil
        self.uid = uid
        self.portAllocator = portAllocator
        self.uidAllocator = uidAllocator
        self.claimed = reserved.map(\.external)
    }

    /// Runs `body`, the steps up to and including the commit; when it throws, every claim is released
    /// before the error goes on.
    func holding<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch {
            release()
            throw error
        }
    }

    /// Makes the port claims durable (on a `berth-store` thread, before the record is written).
    func syncClaims() throws {
        try portAllocator.syncClaims(claimed)
    }

    private func release() {
        _ = try? portAllocator.releaseAll(for: id)
        if uid != nil { _ = try? uidAllocator.releaseAll(for: id) }
    }
}
