import Testing
@testable import BerthCore
import BerthProtocol
import BerthFuzzChecks

/// The restart policy and resource limits: their checks (the node's and the CLI's one rule), and how
/// they render (golden units, read back with the model of systemd's parser).
@Suite struct RestartAndLimitsTests {
    static let policy = RestartPolicy(mode: .onFailure, delayMilliseconds: 1500, burst: 3, intervalSeconds: 60)
    static let limits = ResourceLimits(memory: 256 << 20, memorySwap: 512 << 20, cpuThousandths: 500, pids: 100)

    @Test(arguments: ContainerRuntime.allCases)
    func goldenLimited(_ runtime: ContainerRuntime) throws {
        var spec = RenderFixtures.spec(runtime, .simple)
        (spec.restart, spec.limits) = (Self.policy, Self.limits)
        let text = try ContainerUnitRenderer.render(spec).service.text
        try Golden.check(text, "units/\(runtime.rawValue)-limited/ctr-web.service")
        let unitSection = try #require(text.components(separatedBy: "[Service]").first)
        #expect(unitSection.contains("\nStartLimitIntervalSec=60\n") && unitSection.contains("\nStartLimitBurst=3\n"))
        #expect(text.contains("\nRestart=on-failure\nRestartSec=1500ms\n"))
        let argv = try SystemdUnquote.argv(try #require(execLine(text, "ExecStart")))
        let dashes = try #require(argv.firstIndex(of: "--"))
        #expect(Array(argv[..<dashes]).filter { ["--memory", "--cpus", "--pids"].contains(where: $0.hasPrefix) }
                == ["--memory=268435456", "--memory-swap=536870912", "--cpus=0.5", "--pids-limit=100"])
    }

    /// The stop marker gets the container's id file (to find an OOM kill in the kernel's log) only
    /// where a memory limit is set and podman's detached shape keeps that file.
    @Test(arguments: [(ContainerRuntime.podman, ContainerUnitShape.simple), (.podman, .foreground), (.docker, .simple)])
    func theStopMarkerLooksForAnOOMKillOnlyWithAMemoryLimit(_ runtime: ContainerRuntime, _ shape: ContainerUnitShape) throws {
        var spec = RenderFixtures.spec(runtime, shape)
        spec.log = ContainerLogSpec(files: ContainerLogFiles(directory: "/var/lib/berth/logs/web"), maxBytes: 1 << 20)
        func stopMarker() throws -> String? { execLines(try ContainerUnitRenderer.render(spec).service.text, "ExecStopPost").last }
        let plain = try #require(try stopMarker())
        spec.limits = ResourceLimits(pids: 10)
        let withoutMemory = try stopMarker()
        #expect(withoutMemory == plain)
        spec.limits = Self.limits
        let limited = try #require(try stopMarker())
        let withId = runtime == .podman && shape == .simple
        #expect(limited == (withId ? plain + " %t/%n.ctr-id" : plain))
    }

    private func execLines(_ text: String, _ key: String) -> [String] {
        text.split(separator: "\n").filter { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    @Test func withoutThemTheUnitIsAsBefore() throws {
        let text = try ContainerUnitRenderer.render(RenderFixtures.spec(.podman, .simple)).service.text
        for word in ["Restart", "StartLimit", "--memory", "--cpus", "--pids-limit"] { #expect(!text.contains(word), "\(word)") }
    }

    @Test func theWireMembersBecomeTheValues() throws {
        #expect(try RestartPolicy.checked(mode: nil, delaySeconds: nil, burst: nil, intervalSeconds: nil) == nil)
        #expect(try RestartPolicy.checked(mode: "on-failure", delaySeconds: 1.5, burst: 3, intervalSeconds: 60) == Self.policy)
        #expect(try RestartPolicy.checked(mode: nil, delaySeconds: 0.1, burst: nil, intervalSeconds: 0)
                == RestartPolicy(mode: .no, delayMilliseconds: 100, intervalSeconds: 0))
        #expect(try ResourceLimits.checked(memory: nil, memorySwap: nil, cpus: nil, pids: nil) == nil)
        #expect(try ResourceLimits.checked(memory: 256 << 20, memorySwap: 512 << 20, cpus: 0.5, pids: 100) == Self.limits)
        #expect(try ResourceLimits.checked(memory: 6 << 20, memorySwap: 6 << 20, cpus: 0.01, pids: 2)?.runtimeArguments
                == ["--memory=6291456", "--memory-swap=6291456", "--cpus=0.01", "--pids-limit=2"])
    }

    func refusal(_ body: () throws -> Void) -> RenderError? {
        do { try body() } catch { return error as? RenderError }
        return nil
    }

    @Test func badValuesNameTheirMember() {
        let refused: [(String, RenderError?)] = [
        ("restart", refusal { _ = try RestartPolicy.checked(mode: "sometimes", delaySeconds: nil, burst: nil, intervalSeconds: nil) }),
        ("restart", refusal { _ = try RestartPolicy.checked(mode: "On-Failure", delaySeconds: nil, burst: nil, intervalSeconds: nil) }),
        ("restartDelaySeconds", refusal { _ = try RestartPolicy.checked(mode: nil, delaySeconds: -0.001, burst: nil, intervalSeconds: nil) }),
        ("restartDelaySeconds", refusal { _ = try RestartPolicy.checked(mode: nil, delaySeconds: 0.0001, burst: nil, intervalSeconds: nil) }),
        ("restartDelaySeconds", refusal { _ = try RestartPolicy.checked(mode: nil, delaySeconds: 86400.001, burst: nil, intervalSeconds: nil) }),
        ("restartDelaySeconds", refusal { _ = try RestartPolicy.checked(mode: nil, delaySeconds: .infinity, burst: nil, intervalSeconds: nil) }),
        ("restartDelaySeconds", refusal { _ = try RestartPolicy.checked(mode: nil, delaySeconds: .nan, burst: nil, intervalSeconds: nil) }),
        ("restartBurst", refusal { _ = try RestartPolicy.checked(mode: nil, delaySeconds: nil, burst: 0, intervalSeconds: nil) }),
        ("restartBurst", refusal { _ = try RestartPolicy.checked(mode: nil, delaySeconds: nil, burst: 10_001, intervalSeconds: nil) }),
        ("restartIntervalSeconds", refusal { _ = try RestartPolicy.checked(mode: nil, delaySeconds: nil, burst: nil, intervalSeconds: -1) }),
        ("restartIntervalSeconds", refusal { _ = try RestartPolicy.checked(mode: nil, delaySeconds: nil, burst: nil, intervalSeconds: 86_401) }),
        ("memory", refusal { _ = try ResourceLimits.checked(memory: 0, memorySwap: nil, cpus: nil, pids: nil) }),
        ("memory", refusal { _ = try ResourceLimits.checked(memory: (6 << 20) - 1, memorySwap: nil, cpus: nil, pids: nil) }),
        ("memory", refusal { _ = try ResourceLimits.checked(memory: (1 << 50) + 1, memorySwap: nil, cpus: nil, pids: nil) }),
        ("memorySwap", refusal { _ = try ResourceLimits.checked(memory: nil, memorySwap: 64 << 20, cpus: nil, pids: nil) }),
        ("memorySwap", refusal { _ = try ResourceLimits.checked(memory: 64 << 20, memorySwap: 32 << 20, cpus: nil, pids: nil) }),
        ("cpus", refusal { _ = try ResourceLimits.checked(memory: nil, memorySwap: nil, cpus: 0, pids: nil) }),
        ("cpus", refusal { _ = try ResourceLimits.checked(memory: nil, memorySwap: nil, cpus: 0.009, pids: nil) }),
        ("cpus", refusal { _ = try ResourceLimits.checked(memory: nil, memorySwap: nil, cpus: 0.0125, pids: nil) }),
        ("cpus", refusal { _ = try ResourceLimits.checked(memory: nil, memorySwap: nil, cpus: 1024.001, pids: nil) }),
        ("pids", refusal { _ = try ResourceLimits.checked(memory: nil, memorySwap: nil, cpus: nil, pids: 1) }),
        ("pids", refusal { _ = try ResourceLimits.checked(memory: nil, memorySwap: nil, cpus: nil, pids: (1 << 22) + 1) }),
        ]
        for (field, error) in refused {
            #expect(error?.field == field, "\(field): \(String(describing: error))")
        }
    }

    @Test func thousandthsRenderExactly() throws {
        #expect([1, 10, 100, 500, 1000, 1500, 2250, 86_400_000].map(Thousandths.render) == ["0.001", "0.01", "0.1", "0.5", "1", "1.5", "2.25", "86400"])
        // 0.1 + 0.2 is not 0.3 as a Double; kept in thousandths it renders as 0.3.
        #expect(try Thousandths.checked(0.1 + 0.2, field: "f", range: 0...1000, unit: "s") == 300)
    }

    @Test func aStartLimitIsSeenInEitherForm() {
        let restarts = RestartPolicy(mode: .always)
        #expect(restarts.hitStartLimit(activeState: "failed", result: "exit-code", restarts: 3))
        #expect(restarts.hitStartLimit(activeState: "failed", result: "start-limit-hit", restarts: 0))
        #expect(!restarts.hitStartLimit(activeState: "failed", result: "exit-code", restarts: 0))
        #expect(!restarts.hitStartLimit(activeState: "active", result: "success", restarts: 5))
        #expect(!RestartPolicy().hitStartLimit(activeState: "failed", result: "exit-code", restarts: 3))
        #expect(RestartPolicy().hitStartLimit(activeState: "failed", result: "start-limit-hit", restarts: 0))
    }
}
