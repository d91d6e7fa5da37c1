import Testing
#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

/// kill -9 of a process running a stream of installs, at several points, then recovery: every
/// container fully installed or absent, ports consistent with records and units, every
/// acknowledged install durable (and its requestId answering the first result).
@Suite(.serialized, .enabled(if: RealStack.available, "needs root, systemd, podman, Scripts/bootstrap and Scripts/image"))
struct EngineCrashTests {
    static var tool: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        return FileSystem.directoryName(of: exe) + "/berth-enginetool"
    }

    @Test func killNineDuringInstallsThenRecover() async throws {
        // Installs of new containers need no daemon-reload and run at 100-150/s: each round must
        // still be going when it is killed (up to 2.6 s), so the stream and the port range are large.
        let stack = try await RealStack.start(ports: 5000)
        do {
            let layout = stack.configuration.layout
            let range = stack.configuration.portRange
            var acked: [String: UInt16] = [:]
            for (round, killAfter) in [300, 800, 1500, 2600].enumerated() {
                let result = try await ProcessRunner.run(ProcessRequest(
                    EngineCrashTests.tool,
                    ["install-stream", stack.manager.directory, layout.stateDir, layout.runDir,
                     "\(range.lowerBound)", "\(range.upperBound)", "1200", "c\(round)"],
                    environment: RealStack.podmanEnvironment, timeout: .milliseconds(killAfter),
                    terminationGracePeriod: .milliseconds(1)))
                #expect(result.timedOut, "the tool finished before it was killed: \(result.stderrText)")
                // The tool ignores SIGTERM from its first statement, so SIGTERM can only have ended it
                // before that, before it did anything: a kill too. It happens when the time is up while
                // the process is still starting (a sanitized binary on a busy machine).
                let killedWhileStarting = result.status == .signaled(SIGTERM) && result.stdout.isEmpty
                #expect(result.status == .signaled(SIGKILL) || killedWhileStarting, "\(result.status)")
                var acks = 0
                for line in result.stdoutText.split(separator: "\n") where line.hasPrefix("ack ") {
                    let words = line.split(separator: " ")
                    acked[String(words[1])] = UInt16(words[2])
                    acks += 1
                }
                print("round \(round): killed after \(killAfter) ms, \(acks) installs acknowledged")

                let engine = stack.engine()
                try await engine.open()
                let listed = try await engine.list(ContainerListParams())
                let installed = Set(listed.containers.map(\.id))
                // Every acknowledged install is there, with the port it was given.
                for (id, port) in acked {
                    #expect(installed.contains(id), "acknowledged \(id) is missing after the crash")
                    #expect(listed.containers.first { $0.id == id }?.ports.first?.external == port)
                }
                // Records, unit files and systemd agree; nothing half-written remains.
                let units = Set(try FileSystem.list(layout.unitDir).filter { $0.hasPrefix("ctr-") })
                #expect(units == Set(installed.map { "ctr-\($0).service" }))
                #expect(try FileSystem.list(layout.containersDir).allSatisfy { !$0.hasPrefix(".") })
                let shown = try await stack.systemd.show(installed.map { "ctr-\($0).service" }, properties: ["LoadState"])
                #expect(shown.values.allSatisfy { $0["LoadState"] == "loaded" } && shown.count == installed.count)
                // Ports: each reservation belongs to an installed container and matches its record.
                let reservations = try PortAllocator(layout: layout, range: range).reservations()
                #expect(Set(reservations.map(\.owner.rawValue)) == installed)
                for container in listed.containers {
                    #expect(reservations.filter { $0.owner.rawValue == container.id }.map(\.external)
                            == container.ports.map(\.external))
                }
                #expect(Set(reservations.map(\.external)).count == reservations.count)
                // A retry of an acknowledged request answers the first result.
                if let (id, port) = acked.first {
                    let again = try await engine.install(ContainerInstallParams(
                        id: id, image: "localhost/busybox:latest", command: ["sleep", "1000"],
                        ports: [PortMapping(internal: 80, external: 0)], requestId: "req-\(id)"))
                    #expect(again.ports.first?.external == port)
                }
            }
            #expect(!acked.isEmpty, "no install was acknowledged before the kills")
        } catch {
            await stack.tearDown(containerNames: [])
            throw error
        }
        await stack.tearDown(containerNames: [])
    }
}
