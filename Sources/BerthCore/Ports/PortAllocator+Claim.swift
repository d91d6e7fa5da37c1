#if canImport(Glibc)
import Glibc
#endif
import BerthSystem
import FoundationEssentials

extension PortAllocator {
    /// Claims `reservation.external` exactly, or explains who has it.
    func claimExplicit(_ reservation: PortReservation) throws(PortAllocationError) {
        let port = reservation.external
        if let holder = try self.reservation(of: port) {
            throw PortAllocationError(.unavailable, port: port, message: "port \(port) is reserved by container \(holder.owner)")
        }
        guard isPortFree(port) else {
            throw PortAllocationError(.unavailable, port: port, message: "port \(port) is in use by another process on this host")
        }
        guard try claim(reservation) else {
            let holder = try self.reservation(of: port).map { " by container \($0.owner)" } ?? ""
            throw PortAllocationError(.unavailable, port: port, message: "port \(port) was just reserved\(holder)")
        }
    }

    /// Claims the lowest port at or above `candidate` that is neither in `taken` nor bound, moving
    /// `candidate` past it.
    func claimNext(owner: Identifier, internal: UInt16, from candidate: inout UInt16,
                   taken: inout Set<UInt16>) throws(PortAllocationError) -> UInt16 {
        while range.contains(candidate) {
            let port = candidate
            candidate = port == UInt16.max ? 0 : port + 1  // 0 is outside every range: ends the loop
            if taken.contains(port) || !isPortFree(port) { continue }
            taken.insert(port)
            if try claim(PortReservation(owner: owner, internal: `internal`, external: port)) { return port }
        }
        throw PortAllocationError(.exhausted, message: "no free port left in \(range.lowerBound)-\(range.upperBound)")
    }

    /// The claim protocol: write the whole reservation to a private temporary file, then link it to
    /// the port's name. Returns false if the port was already claimed.
    func claim(_ reservation: PortReservation) throws(PortAllocationError) -> Bool {
        let temporary = "\(directory)/\(PortAllocator.temporaryPrefix)\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try storage {
            let fd = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
            try fd.closeAfter {
                try fd.writeAll(reservation.encoded())
                if durable { try fd.sync() }
            }
        }
        defer { unlink(temporary) }
        hooks.afterTemporaryWrite?(reservation.external)
        if link(temporary, path(of: reservation.external)) == 0 {
            hooks.afterClaim?(reservation.external)
            return true
        }
        if errno == EEXIST { return false }
        throw PortAllocationError(.storage, port: reservation.external,
                                  message: "\(SystemError("link", path: path(of: reservation.external)))")
    }

    /// Replaces the owner's own reservation (a new internal port for the same external one).
    func rewrite(_ reservation: PortReservation) throws(PortAllocationError) {
        try storage {
            try FileSystem.writeAtomically(reservation.encoded(), to: path(of: reservation.external), mode: 0o600)
        }
    }

    func syncDirectory() throws(PortAllocationError) {
        if durable { try storage { try FileSystem.syncDirectory(directory) } }
    }

    /// Runs a file operation, reporting any failure as a storage error.
    func storage<R>(_ body: () throws -> R) throws(PortAllocationError) -> R {
        do { return try body() } catch let error as PortAllocationError { throw error } catch {
            throw PortAllocationError(.storage, message: "ports directory \(directory): \(error)")
        }
    }

    static let temporaryPrefix = ".claim-"
}

extension PortReservation {
    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data()) + [0x0A]
    }

    static func decode(_ bytes: [UInt8]) -> PortReservation? {
        try? JSONDecoder().decode(PortReservation.self, from: Data(bytes))
    }
}
