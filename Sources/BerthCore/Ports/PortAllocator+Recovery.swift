import BerthSystem

/// What `PortAllocator.recover` cleaned up.
public struct PortRecoveryReport: Hashable, Sendable {
    /// Claim files of dead processes that were never linked (they reserved nothing).
    public var removedTemporaryFiles: [String] = []
    /// Files named like a port whose content is not a reservation for it (only a power loss before
    /// the data reached the disk can make one).
    public var removedDamagedFiles: [String] = []
    /// Reservations whose owner is not in the kept set.
    public var releasedOrphans: [PortReservation] = []
}

extension PortAllocator {
    /// Cleans up after crashes. Run it when the node starts, before it serves requests (orphan
    /// release must not race an install in progress): removes temporary claim files whose process
    /// is gone and damaged reservation files, and, if `keeping` is given, releases every reservation
    /// whose owner is not in it. Holds the ports lock so two recoveries do not interleave.
    @discardableResult
    public func recover(keeping owners: Set<Identifier>? = nil) throws(PortAllocationError) -> PortRecoveryReport {
        knownClaims.forget()
        try storage {
            try FileSystem.createDirectory(FileSystem.directoryName(of: lockPath), mode: 0o700)
            try claims.create()
        }
        return try storage {
            try FileLock.withLock(lockPath) { () throws -> PortRecoveryReport in
                var report = PortRecoveryReport()
                report.removedTemporaryFiles = try claims.removeAbandonedTemporaries()
                for name in try claims.names().sorted() {
                    guard let port = UInt16(name) else { continue }
                    guard let reservation = try self.reservation(of: port) else {
                        try claims.release(name)
                        report.removedDamagedFiles.append(name)
                        continue
                    }
                    if let owners, !owners.contains(reservation.owner) {
                        try claims.release(name)
                        report.releasedOrphans.append(reservation)
                    }
                }
                try syncDirectory()
                return report
            }
        }
    }
}
