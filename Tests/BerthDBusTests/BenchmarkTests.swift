#if canImport(Glibc)
import Glibc
#endif
import BerthSystem
import Testing
@testable import BerthDBus
@testable import BerthSystemd

extension SerializedTests {
    /// Start+stop of one unit over D-Bus against `systemctl --user start/stop` on the same manager.
    /// Printed for docs/architecture-dbus.md, never asserted (timings on a shared 2-core host vary), so it
    /// runs only when asked (BERTH_BENCH=1): it was 11 s of every test run and checked nothing the
    /// Systemd suite does not.
    @Suite struct Benchmark {
        @Test(.enabled(if: getenv("BERTH_BENCH") != nil))
        func startStopOverDBusVersusSystemctl() async throws {
            try await PrivateManager.with { manager in
                try manager.writeUnit("berth-bench.service", "[Service]\nExecStart=/bin/sleep 300\n")
                let bus = try await SystemdManagerBus.connectPrivate(runtimeDirectory: manager.runtimeDirectory)
                defer { bus.connection.close() }
                try await bus.subscribe()
                try await bus.reload()
                // Interleaved, so both paths see the same background load on a shared host.
                let rounds = 30
                var dbus: [Duration] = []
                var systemctl: [Duration] = []
                for _ in 0..<rounds {
                    var start = ContinuousClock.now
                    let started = try await bus.runJob(.start, unit: "berth-bench.service")
                    let stopped = try await bus.runJob(.stop, unit: "berth-bench.service")
                    dbus.append(ContinuousClock.now - start)
                    #expect(started.result == "done" && stopped.result == "done")
                    start = ContinuousClock.now
                    let a = try await manager.systemctl(["start", "berth-bench.service"])
                    let b = try await manager.systemctl(["stop", "berth-bench.service"])
                    systemctl.append(ContinuousClock.now - start)
                    #expect(a.succeeded && b.succeeded, "\(a.stderrText)\(b.stderrText)")
                }
                func ms(_ d: Duration) -> Double {
                    let (s, atto) = d.components
                    return Double(s) * 1000 + Double(atto) / 1e15
                }
                func summary(_ d: [Duration]) -> (median: Double, text: String) {
                    let sorted = d.sorted().map(ms)
                    let median = sorted[sorted.count / 2]
                    return (median, "median \(String(format2: median)) ms, min \(String(format2: sorted[0])) ms, "
                            + "p90 \(String(format2: sorted[sorted.count * 9 / 10])) ms")
                }
                let (d, s) = (summary(dbus), summary(systemctl))
                print("BENCH start+stop of one unit, \(rounds) interleaved rounds: D-Bus \(d.text); "
                      + "systemctl --user \(s.text); systemctl/D-Bus median ratio \(String(format2: s.median / d.median))x")
            }
        }
    }
}

extension String {
    init(format2 value: Double) {
        let scaled = (value * 100).rounded() / 100
        self = "\(scaled)"
    }
}
