import BerthSystem
import Foundation
import Testing
@testable import BerthCore

/// Several processes, and processes killed in the middle, against one ports directory
/// (the berth-porttool helper does the allocating).
@Suite(.serialized) struct PortAllocatorProcessTests {
    /// Starts berth-porttool with `arguments`; returns the process and its stdout pipe.
    func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.portTool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        return (process, out)
    }

    func readLine(_ pipe: Pipe) -> String {
        var data = Data()
        while !data.contains(0x0A) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            data.append(chunk)
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func killAndReap(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test func toolIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: TestSupport.portTool), "\(TestSupport.portTool)")
    }

    @Test(.timeLimit(.minutes(2))) func racingProcessesNeverShareAPort() throws {
        let base = try TemporaryDirectory("berth-race")
        defer { base.remove() }
        let processes = 4, owners = 15, perOwner = 2
        var running: [(Process, Pipe)] = []
        for p in 0..<processes {
            running.append(try start([base.path, "42000", "42999", "p\(p)", "\(perOwner)", "\(owners)"]))
        }
        var lines: [String] = []
        for (process, pipe) in running {
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            lines += String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        let ports = lines.compactMap { $0.split(separator: " ").last.flatMap { UInt16($0) } }
        #expect(ports.count == processes * owners * perOwner)
        #expect(Set(ports).count == ports.count, "a port was handed out twice")
        // What the processes printed is exactly what is on disk.
        let layout = try Layout(stateDir: base.path + "/state", runDir: base.path + "/run", unitDir: base.path + "/units")
        let onDisk = try PortAllocator(layout: layout, range: 42000...42999).reservations()
        #expect(Set(onDisk.map(\.external)) == Set(ports))
        #expect(Set(onDisk.map { "\($0.owner) \($0.external)" }) == Set(lines))
        #expect(try FileSystem.list(layout.portsDir).allSatisfy { UInt16($0) != nil }, "temporary files left behind")
    }

    @Test(.timeLimit(.minutes(1))) func killedBeforeTheLinkReservesNothing() throws {
        let base = try TemporaryDirectory("berth-crash")
        defer { base.remove() }
        let layout = try Layout(stateDir: base.path + "/state", runDir: base.path + "/run", unitDir: base.path + "/units")
        let (process, pipe) = try start([base.path, "43000", "43099", "victim", "3", "1", "pause-after-write", "2"])
        let line = readLine(pipe)
        let paused = try #require(UInt16(line.split(separator: " ").last ?? ""), "tool said \(line)")
        killAndReap(process)

        let allocator = PortAllocator(layout: layout, range: 43000...43099)
        let names = try FileSystem.list(layout.portsDir)
        // The first claim completed; the second never got its name: no partial reservation exists.
        #expect(!names.contains(String(paused)))
        #expect(try allocator.reservations().map(\.owner.rawValue) == ["victim-1"])
        #expect(names.contains { $0.hasPrefix(".claim-") })
        let report = try allocator.recover()
        #expect(report.removedTemporaryFiles.count == 1)
        #expect(try FileSystem.list(layout.portsDir).allSatisfy { UInt16($0) != nil })
        // The port the dead process was claiming is free for the next caller.
        let next = try allocator.reserve(for: try Identifier("next"), [PortPair(internal: 1, external: paused)])
        #expect(next.first?.external == paused)
    }

    @Test(.timeLimit(.minutes(1))) func killedBetweenClaimsLosesNoPort() throws {
        let base = try TemporaryDirectory("berth-crash")
        defer { base.remove() }
        let layout = try Layout(stateDir: base.path + "/state", runDir: base.path + "/run", unitDir: base.path + "/units")
        let (process, pipe) = try start([base.path, "43100", "43199", "victim", "3", "1", "pause-after-claim", "2"])
        let line = readLine(pipe)
        #expect(line.hasPrefix("paused"), "tool said \(line)")
        killAndReap(process)

        let allocator = PortAllocator(layout: layout, range: 43100...43199)
        let victim = try Identifier("victim-1")
        let left = try allocator.reservations(for: victim)
        #expect(left.count == 2)  // whole reservations, owned by the victim
        // Either a retry for the same owner reuses them and completes ...
        let retried = try allocator.reserve(for: victim, (0..<3).map { PortPair(internal: UInt16(8000 + $0), external: 0) })
        #expect(Array(retried.map(\.external).prefix(2)) == left.map(\.external))
        #expect(try allocator.reservations(for: victim).count == 3)
        // ... or recovery, told which containers exist, releases them.
        let report = try allocator.recover(keeping: [])
        #expect(report.releasedOrphans.count == 3)
        #expect(try allocator.reservations().isEmpty)
    }

    @Test(.timeLimit(.minutes(2))) func randomKillsLeaveOnlyWholeReservations() throws {
        let base = try TemporaryDirectory("berth-crash")
        defer { base.remove() }
        let layout = try Layout(stateDir: base.path + "/state", runDir: base.path + "/run", unitDir: base.path + "/units")
        for round in 0..<6 {
            let (process, pipe) = try start([base.path, "43200", "43999", "r\(round)", "2", "200"])
            // Kill it while it allocates, not while it starts (a loaded machine can take longer
            // than the whole sleep to start a process).
            #expect(readLine(pipe).hasPrefix("r\(round)-1 "))
            usleep(UInt32.random(in: 5_000...60_000))
            killAndReap(process)
        }
        let allocator = PortAllocator(layout: layout, range: 43200...43999)
        for name in try FileSystem.list(layout.portsDir) {
            guard let port = UInt16(name) else {
                #expect(name.hasPrefix(".claim-"), "unexpected file \(name)")
                continue
            }
            #expect(try allocator.reservation(of: port) != nil, "\(name) is not a whole reservation")
        }
        let before = try allocator.reservations()
        let report = try allocator.recover()
        #expect(report.removedDamagedFiles.isEmpty)
        #expect(try allocator.reservations() == before)
        #expect(try FileSystem.list(layout.portsDir).allSatisfy { UInt16($0) != nil })
    }
}
