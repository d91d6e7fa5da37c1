import BerthProtocol
import BerthSystem

extension PortAllocator {
    /// Claims `reservation.external` exactly, or explains who has it.
    func claimExplicit(_ reservation: PortReservation, syncing: Bool) throws(PortAllocationError) {
        let port = reservation.external
        if let holder = try self.reservation(of: port) {
            throw PortAllocationError(.unavailable, port: port, message: "port \(port) is reserved by container \(holder.owner)")
        }
        guard isPortFree(port) else {
            throw PortAllocationError(.unavailable, port: port, message: "port \(port) is in use by another process on this host")
        }
        guard try claim(reservation, syncing: syncing) else {
            let holder = try self.reservation(of: port).map { " by container \($0.owner)" } ?? ""
            throw PortAllocationError(.unavailable, port: port, message: "port \(port) was just reserved\(holder)")
        }
    }

    /// Claims the lowest port at or above `candidate` that is neither `taken` nor bound, moving
    /// `candidate` past it; a port whose link fails (another process claimed it) is added to `lost`.
    func claimNext(owner: Identifier, internal: UInt16, from candidate: inout UInt16, lost: inout [UInt16],
                   syncing: Bool, taken: (UInt16) -> Bool) throws(PortAllocationError) -> UInt16 {
        while range.contains(candidate) {
            let port = candidate
            candidate = port == UInt16.max ? 0 : port + 1  // 0 is outside every range: ends the loop
            if taken(port) || !isPortFree(port) { continue }
            if try claim(PortReservation(owner: owner, internal: `internal`, external: port), syncing: syncing) { return port }
            lost.append(port)
        }
        throw PortAllocationError(.exhausted, message: "no free port left in \(range.lowerBound)-\(range.upperBound)")
    }

    /// Claims the port of `reservation` with the whole reservation as its file. Returns false if
    /// the port was already claimed. Without `syncing` the file's data is not fsynced before the
    /// link (`syncClaims` does it later).
    func claim(_ reservation: PortReservation, syncing: Bool) throws(PortAllocationError) -> Bool {
        let port = reservation.external
        let won = try storage {
            try claims.claim(String(port), contents: reservation.encoded(), syncing: syncing,
                             beforeLink: { hooks.afterTemporaryWrite?(port) })
        }
        if won { hooks.afterClaim?(port) }
        return won
    }

    /// Replaces the owner's own reservation (a new internal port for the same external one).
    func rewrite(_ reservation: PortReservation) throws(PortAllocationError) {
        try storage { try claims.replace(String(reservation.external), contents: reservation.encoded()) }
    }

    func syncDirectory() throws(PortAllocationError) {
        try storage { try claims.sync() }
    }

    /// Runs a file operation, reporting any failure as a storage error.
    func storage<R>(_ body: () throws -> R) throws(PortAllocationError) -> R {
        do { return try body() } catch let error as PortAllocationError { throw error } catch {
            throw PortAllocationError(.storage, message: "ports directory \(directory): \(error)")
        }
    }
}

extension PortReservation {
    /// One line of JSON, members sorted: `{"external":40000,"internal":8080,"owner":"web"}`.
    func encoded() -> [UInt8] {
        // Three plain members always encode; the empty fallback reads back as "no reservation".
        ((try? JSONValueEncoder().encode(self).serialized()) ?? []) + [0x0A]
    }

    static func decode(_ bytes: [UInt8]) -> PortReservation? {
        guard let value = try? JSONParser.parse(bytes) else { return nil }
        return try? JSONValueDecoder().decode(PortReservation.self, from: value)
    }
}
