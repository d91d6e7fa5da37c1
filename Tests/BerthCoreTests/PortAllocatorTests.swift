import BerthSystem
import Foundation
import Testing
@testable import BerthCore

/// A scratch layout under /tmp for one test.
struct ScratchLayout {
    let dir: TemporaryDirectory
    let layout: Layout
    init() throws {
        dir = try TemporaryDirectory("berth-ports")
        layout = try Layout(stateDir: dir.path + "/state", runDir: dir.path + "/run", unitDir: dir.path + "/units")
    }
    func remove() { dir.remove() }
}

/// A TCP listener on 127.0.0.1, closed by `close()`.
struct Listener {
    let fd: CInt
    init?(port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 1) == 0 else { Glibc.close(fd); return nil }
        self.fd = fd
    }
    func close() { Glibc.close(fd) }
}

/// The first of `count` consecutive ports that nothing holds, below the kernel's ephemeral range.
/// Ports inside that range go to other tests' outgoing connections and port-0 listeners at any
/// moment: "free again after close" failed once on 45000, taken between the close and the probe.
func quietPorts(_ count: Int) throws -> UInt16 {
    let range = (try? FileSystem.read("/proc/sys/net/ipv4/ip_local_port_range", limit: 64)).map { String(decoding: $0, as: UTF8.self) }
    let low = range?.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) } ?? 32768
    // Below berthd's default range (20000-29999) too, and the real-stack tests' (30000 and up).
    var base = max(1024, min(low, 20000) - 3000)
    while base + count <= low {
        if (0..<count).allSatisfy({ PortProbe.isFree(UInt16(base + $0)) }) { return UInt16(base) }
        base += count
    }
    struct NoQuietPorts: Error, CustomStringConvertible { let description: String }
    throw NoQuietPorts(description: "no \(count) free ports in a row below the ephemeral range (from \(low))")
}

@Suite struct PortAllocatorTests {
    let id = try! Identifier("web")
    let other = try! Identifier("db")
    func allocate(_ n: Int) -> [PortPair] { (0..<n).map { PortPair(internal: UInt16(8000 + $0), external: 0) } }

    @Test func probeSeesListeners() throws {
        // Find a free port, listen on loopback, and the probe must see it taken.
        let port = try quietPorts(1)
        let listener = try #require(Listener(port: port))
        #expect(!PortProbe.isFree(port))
        listener.close()
        #expect(PortProbe.isFree(port))
        #expect(!PortProbe.isFree(0))
    }

    /// geard's case: from 40000, with 40001 taken by a listener, the allocator yields 40000, 40002, 40003
    /// (here from the first of four quiet ports).
    @Test func skipsAPortSomethingListensOn() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let base = try quietPorts(4)
        let listener = try #require(Listener(port: base + 1))
        defer { listener.close() }
        let allocator = PortAllocator(layout: scratch.layout, range: base...(base + 100))
        let got = try allocator.reserve(for: id, allocate(3))
        #expect(got.map(\.external) == [base, base + 2, base + 3])
        #expect(got.map(\.internal) == [8000, 8001, 8002])
        #expect(try allocator.reservations().map(\.external) == [base, base + 2, base + 3])
    }

    /// The node's install path: claims linked without fsync on the actor, fsynced later off it.
    @Test func unsyncedReservationsAreWholeExclusiveAndSyncLater() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let allocator = PortAllocator(layout: scratch.layout, range: 300...400, isPortFree: { _ in true })
        let mine = try allocator.reserveUnsynced(for: id, allocate(2))
        #expect(mine.map(\.external) == [300, 301])
        // Another reserver (a synced one here) sees the unsynced claims at once.
        #expect(try allocator.reserve(for: other, allocate(1)).map(\.external) == [302])
        #expect(try allocator.reservation(of: 300) == PortReservation(owner: id, internal: 8000, external: 300))
        #expect(try allocator.release(301, for: id))
        try allocator.syncClaims(mine.map(\.external))  // a claim released meanwhile is no error
        #expect(try FileSystem.list(scratch.layout.portsDir).allSatisfy { !$0.hasPrefix(".claim-") }, "no temporary file left")
        #expect(try allocator.reserveUnsynced(for: id, allocate(1)).map(\.external) == [300], "the owner's reservation is reused")
        #expect(try !FileSystem.syncFile(scratch.layout.portsDir + "/301"))
        #expect(try FileSystem.syncFile(scratch.layout.portsDir + "/300"))
    }

    @Test func reservationsBelongToTheirOwner() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let allocator = PortAllocator(layout: scratch.layout, range: 100...200, isPortFree: { _ in true })
        let mine = try allocator.reserve(for: id, allocate(2))
        let theirs = try allocator.reserve(for: other, allocate(1))
        #expect(mine.map(\.external) == [100, 101])
        #expect(theirs.map(\.external) == [102])
        #expect(try !allocator.release(102, for: id))  // not the owner: untouched
        #expect(try allocator.reservation(of: 102)?.owner == other)
        #expect(try allocator.release(101, for: id))
        #expect(try allocator.reservation(of: 101) == nil)
        #expect(try !allocator.release(101, for: id))
        // The freed port is handed out again.
        #expect(try allocator.reserve(for: try Identifier("third"), allocate(1)).map(\.external) == [101])
        #expect(try allocator.releaseAll(for: other) == [102])
        #expect(try allocator.reservations(for: id).map(\.external) == [100])
    }

    @Test func explicitPortsAndConflicts() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let busy: UInt16 = 150
        let allocator = PortAllocator(layout: scratch.layout, range: 100...200, isPortFree: { $0 != busy })
        let got = try allocator.reserve(for: id, [PortPair(internal: 80, external: 5000), PortPair(internal: 81, external: 0)])
        #expect(got == [PortPair(internal: 80, external: 5000), PortPair(internal: 81, external: 100)])
        do {
            _ = try allocator.reserve(for: other, [PortPair(internal: 1, external: 0), PortPair(internal: 2, external: 5000)])
            Issue.record("took another container's port")
        } catch {
            #expect(error.kind == .unavailable && error.port == 5000 && error.message.contains("web"), "\(error)")
        }
        // The failed call left nothing behind (its allocation of 101 was rolled back).
        #expect(try allocator.reservations(for: other).isEmpty)
        #expect(throws: PortAllocationError.self) { try allocator.reserve(for: other, [PortPair(internal: 1, external: busy)]) }
        #expect(throws: PortAllocationError.self) {
            try allocator.reserve(for: other, [PortPair(internal: 1, external: 7), PortPair(internal: 2, external: 7)])
        }
        #expect(try allocator.reservations(for: other).isEmpty)
    }

    @Test func reinstallKeepsExistingPortsAndFreesDroppedOnes() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        // Listeners do not matter for ports the container already holds (it may be running on them).
        let allocator = PortAllocator(layout: scratch.layout, range: 100...200, isPortFree: { $0 > 102 })
        let first = PortAllocator(layout: scratch.layout, range: 100...200, isPortFree: { _ in true })
        let installed = try first.reserve(for: id, [PortPair(internal: 80, external: 0), PortPair(internal: 443, external: 0),
                                                    PortPair(internal: 22, external: 0)])
        #expect(installed.map(\.external) == [100, 101, 102])
        let again = try allocator.reserve(for: id, [PortPair(internal: 443, external: 0), PortPair(internal: 80, external: 0),
                                                    PortPair(internal: 9000, external: 0)])
        #expect(again == [PortPair(internal: 443, external: 101), PortPair(internal: 80, external: 100),
                          PortPair(internal: 9000, external: 103)])
        #expect(try allocator.reservations(for: id).map(\.external) == [100, 101, 103])  // 102 (internal 22) freed
        // An explicit request for a port it already holds, with a new internal port.
        let moved = try allocator.reserve(for: id, [PortPair(internal: 8443, external: 101)])
        #expect(moved == [PortPair(internal: 8443, external: 101)])
        #expect(try allocator.reservations(for: id) == [PortReservation(owner: id, internal: 8443, external: 101)])
    }

    @Test func aNewOwnerTakesFreshPortsWithoutLookingUpItsOwn() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let allocator = PortAllocator(layout: scratch.layout, range: 100...200, isPortFree: { _ in true })
        let other = try Identifier("other")
        #expect(try allocator.reserve(for: other, [PortPair(internal: 80, external: 0)]).map(\.external) == [100])
        // A new owner gets the next free ports, and nothing of another owner changes.
        let fresh = try allocator.reserve(for: id, [PortPair(internal: 80, external: 0), PortPair(internal: 443, external: 0)],
                                          ownerIsNew: true)
        #expect(fresh.map(\.external) == [101, 102])
        #expect(try allocator.reservations(for: other).map(\.external) == [100])
        #expect(try allocator.reservations(for: id).map(\.external) == [101, 102])
    }

    @Test func exhaustionIsAClearErrorAndChangesNothing() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let allocator = PortAllocator(layout: scratch.layout, range: 100...102, isPortFree: { _ in true })
        _ = try allocator.reserve(for: other, allocate(1))
        do {
            _ = try allocator.reserve(for: id, allocate(3))
            Issue.record("over-allocated")
        } catch {
            #expect(error.kind == .exhausted && error.message.contains("100-102"), "\(error)")
        }
        #expect(try allocator.reservations().map(\.owner) == [other])
        #expect(try allocator.reserve(for: id, allocate(2)).map(\.external) == [101, 102])
    }

    /// The allocator keeps what it knows of the claims instead of listing the directory for every
    /// reservation (`ClaimedPorts`). Its own releases are free again at once, the lowest first.
    @Test func ownReleasesAreReusedLowestFirst() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let allocator = PortAllocator(layout: scratch.layout, range: 100...110, isPortFree: { _ in true })
        let third = try Identifier("third")
        #expect(try allocator.reserve(for: id, allocate(1), ownerIsNew: true).map(\.external) == [100])
        #expect(try allocator.reserve(for: other, allocate(1), ownerIsNew: true).map(\.external) == [101])
        #expect(try allocator.releaseAll(for: id) == [100])
        #expect(try allocator.reserve(for: third, allocate(1), ownerIsNew: true).map(\.external) == [100])
        // A reinstall that drops a port frees it too.
        #expect(try allocator.reserve(for: other, []).isEmpty)
        #expect(try allocator.reserve(for: id, allocate(1), ownerIsNew: true).map(\.external) == [101])
    }

    /// A release while another reservation scans (another thread of the same allocator) moves the
    /// hint's scan start back down, and the scanning reservation does not move it up past the freed
    /// port when it finishes: the next reservation gets the freed port, the lowest free one.
    @Test func aReleaseDuringAReservationIsNotSkipped() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let (a, b, c) = (try Identifier("a"), try Identifier("b"), try Identifier("c"))
        let releaseA = Lock<(@Sendable () -> Void)?>(nil)
        let allocator = PortAllocator(layout: scratch.layout, range: 100...110, isPortFree: { _ in true },
                                      hooks: PortAllocatorHooks(afterClaim: { port in
                                          if port == 101 { releaseA.withLock { $0 }?() }
                                      }))
        releaseA.withLock { $0 = { _ = try? allocator.releaseAll(for: a) } }
        #expect(try allocator.reserve(for: a, allocate(1), ownerIsNew: true).map(\.external) == [100])
        // b's reservation claims 101, and a's port 100 is released right then.
        #expect(try allocator.reserve(for: b, allocate(1), ownerIsNew: true).map(\.external) == [101])
        #expect(try allocator.reserve(for: c, allocate(1), ownerIsNew: true).map(\.external) == [100])
    }

    /// Claims and releases made through another allocator on the same directory (another process):
    /// a port it claimed is never handed out twice, and a port it released is taken again once the
    /// range above it runs out, instead of a false "exhausted".
    @Test func anotherAllocatorsClaimsAndReleasesAreSeen() throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let mine = PortAllocator(layout: scratch.layout, range: 100...102, isPortFree: { _ in true })
        let theirs = PortAllocator(layout: scratch.layout, range: 100...102, isPortFree: { _ in true })
        let (a, b, c, d) = (try Identifier("a"), try Identifier("b"), try Identifier("c"), try Identifier("d"))
        #expect(try mine.reserve(for: a, allocate(1), ownerIsNew: true).map(\.external) == [100])
        #expect(try theirs.reserve(for: b, allocate(1), ownerIsNew: true).map(\.external) == [101])
        // `mine` believes 101 is free; the link says otherwise.
        #expect(try mine.reserve(for: c, allocate(1), ownerIsNew: true).map(\.external) == [102])
        #expect(try theirs.releaseAll(for: b) == [101])
        #expect(try mine.reserve(for: d, allocate(1), ownerIsNew: true).map(\.external) == [101])
        #expect(Set(try mine.reservations().map(\.owner)) == [a, c, d])
        do {
            _ = try mine.reserve(for: b, allocate(1), ownerIsNew: true)
            Issue.record("over-allocated")
        } catch {
            #expect(error.kind == .exhausted, "\(error)")
        }
    }

    @Test func threadsNeverShareAPort() async throws {
        let scratch = try ScratchLayout()
        defer { scratch.remove() }
        let layout = scratch.layout
        let results = try await withThrowingTaskGroup(of: [UInt16].self) { group in
            for t in 0..<8 {
                group.addTask {
                    let allocator = PortAllocator(layout: layout, range: 1000...1999, isPortFree: { _ in true }, durable: false)
                    var got: [UInt16] = []
                    for k in 0..<20 { got += try allocator.reserve(for: Identifier("t\(t)-\(k)"), [PortPair(internal: 1, external: 0)]).map(\.external) }
                    return got
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(results.count == 160)
        #expect(Set(results).count == 160)
        #expect(Set(results) == Set(1000..<1160))
    }
}
