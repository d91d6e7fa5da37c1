#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

extension SystemTests {
    @Suite struct ProcessRunnerTests {
        let path = ["PATH": "/usr/bin:/bin"]

        @Test func exitCodesAndOutput() async throws {
            let ok = try await ProcessRunner.run(ProcessRequest("echo", ["a b", "$HOME", "*"], environment: path))
            #expect(ok.status == .exited(0))
            #expect(ok.succeeded)
            #expect(ok.stdoutText == "a b $HOME *\n")  // argv, never a shell: nothing expanded
            #expect(ok.stderr.isEmpty)

            let failing = try await ProcessRunner.run(ProcessRequest("/bin/sh", ["-c", "echo oops >&2; exit 3"]))
            #expect(failing.status == .exited(3))
            #expect(!failing.succeeded)
            #expect(failing.stderrText == "oops\n")

            let blocking = try ProcessRunner.runBlocking(ProcessRequest("/bin/false"))
            #expect(blocking.status == .exited(1))
        }

        @Test func signalsAreReportedAndStartAtTheirDefaults() async throws {
            let killed = try await ProcessRunner.run(ProcessRequest("/bin/sh", ["-c", "kill -KILL $$"]))
            #expect(killed.status == .signaled(SIGKILL))

            // An ignored and a blocked signal here (inherited across exec without SETSIGDEF/SETSIGMASK)
            // must both be back to normal in the child.
            let previous = signal(SIGUSR1, SIG_IGN)
            defer { signal(SIGUSR1, previous) }
            var blocked = sigset_t()
            var old = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGUSR2)
            pthread_sigmask(SIG_BLOCK, &blocked, &old)
            let status = try ProcessRunner.runBlocking(ProcessRequest("/bin/sh", ["-c", "grep -E '^(SigBlk|SigIgn)' /proc/self/status"]))
            pthread_sigmask(SIG_SETMASK, &old, nil)
            let masks = Dictionary(uniqueKeysWithValues: status.stdoutText.split(separator: "\n").map {
                let parts = $0.split(separator: "\t")
                return (String(parts[0]), UInt64(parts[1], radix: 16) ?? .max)
            })
            #expect(masks["SigBlk:"] == 0)
            // glibc itself sets its two internal signals (32, 33) to SIG_IGN in a posix_spawn child when
            // the parent has handlers for them; no program can use those, every other signal is default.
            let glibcInternal: UInt64 = 0x1_8000_0000
            #expect(masks["SigIgn:"].map { $0 & ~glibcInternal } == 0)
            let selfKill = try await ProcessRunner.run(ProcessRequest("/bin/sh", ["-c", "kill -USR1 $$; sleep 5"]))
            #expect(selfKill.status == .signaled(SIGUSR1))
        }

        @Test func timeoutKillsTheChildAndItIsGone() async throws {
            // SIGTERM and `timedOut` say the runner's timeout ended it, not the child's own 100 s.
            let result = try await ProcessRunner.run(ProcessRequest("sleep", ["100"], environment: path,
                                                                    timeout: .milliseconds(300)))
            #expect(result.timedOut)
            #expect(result.status == .signaled(SIGTERM))
            #expect(kill(result.processID, 0) == -1 && errno == ESRCH)  // reaped by the runner itself
        }

        @Test func childIgnoringSIGTERMGetsSIGKILLAfterTheGracePeriod() async throws {
            let request = ProcessRequest("/bin/sh", ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
                                         environment: path, timeout: .milliseconds(200),
                                         terminationGracePeriod: .milliseconds(300))
            let result = try await ProcessRunner.run(request)
            #expect(result.timedOut)
            #expect(result.status == .signaled(SIGKILL))
            #expect(result.stdoutText == "ready\n")
            // The whole group, its sleeps included, is gone (once init has reaped the orphans).
            #expect(await gone { kill(-result.processID, 0) == -1 && errno == ESRCH })
        }

        @Test func outputBeyondTheLimitIsCutAndFlagged() async throws {
            // 1 MiB of output against a 1000-byte limit: the child must still finish (never blocked on a pipe).
            let result = try await ProcessRunner.run(ProcessRequest("head", ["-c", "1048576", "/dev/zero"],
                                                                    environment: path, outputLimit: 1000))
            #expect(result.status == .exited(0))
            #expect(result.truncated)
            #expect(result.stdout.count == 1000)
            let exact = try await ProcessRunner.run(ProcessRequest("head", ["-c", "1000", "/dev/zero"],
                                                                   environment: path, outputLimit: 1000))
            #expect(!exact.truncated)
            #expect(exact.stdout.count == 1000)
        }

        @Test func standardInputIsFedAndClosed() async throws {
            let input = (0..<300_000).map { UInt8(truncatingIfNeeded: $0) }
            let result = try await ProcessRunner.run(ProcessRequest("cat", environment: path, standardInput: input))
            #expect(result.stdout == input)
            let none = try await ProcessRunner.run(ProcessRequest("cat", environment: path))
            #expect(none.stdout.isEmpty && none.status == .exited(0))
            // A child that never reads its input must not hang or kill us with SIGPIPE.
            let ignoring = try await ProcessRunner.run(ProcessRequest("true", environment: path, standardInput: input))
            #expect(ignoring.status == .exited(0))
        }

        @Test func environmentIsExactlyWhatWasGiven() async throws {
            let env = ["A": "1", "WITH_SPACE": "x y", "EMPTY": ""]
            let result = try await ProcessRunner.run(ProcessRequest("/usr/bin/env", environment: env))
            #expect(result.stdoutText.split(separator: "\n").sorted() == ["A=1", "EMPTY=", "WITH_SPACE=x y"])
            let empty = try await ProcessRunner.run(ProcessRequest("/usr/bin/env"))
            #expect(empty.stdout.isEmpty)
        }

        @Test func workingDirectoryAndClearErrors() async throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let result = try await ProcessRunner.run(ProcessRequest("/bin/pwd", workingDirectory: dir.path))
            #expect(result.stdoutText == dir.path + "\n")

            let missing = await #expect(throws: ProcessRunnerError.self) {
                try await ProcessRunner.run(ProcessRequest("no-such-program-berth", environment: path))
            }
            #expect(missing?.message.contains("no-such-program-berth") == true)
            await #expect(throws: ProcessRunnerError.self) {
                try await ProcessRunner.run(ProcessRequest("/bin/true", workingDirectory: dir.path + "/absent"))
            }
            await #expect(throws: ProcessRunnerError.self) {
                try await ProcessRunner.run(ProcessRequest("/bin/true", environment: ["BAD=NAME": "x"]))
            }
            await #expect(throws: ProcessRunnerError.self) {
                try await ProcessRunner.run(ProcessRequest("/bin/echo", ["nul\u{0}byte"]))
            }
        }

        @Test func noDescriptorReachesTheChildOrLingersInTheParent() async throws {
            // A descriptor opened without O_CLOEXEC (as careless code might) must still not reach the child.
            let careless = Glibc.open("/dev/null", O_RDONLY)
            #expect(careless >= 0)
            defer { Glibc.close(careless) }
            // No drain: the runner's pipes and its cancellation eventfd are closed before `run` returns.
            try await expectNoDescriptorLeak(drains: false) {
                for input: [UInt8]? in [nil, Array("x".utf8)] {
                    let result = try await ProcessRunner.run(ProcessRequest("ls", ["/proc/self/fd"], environment: path,
                                                                            standardInput: input))
                    // 0, 1, 2 and the directory ls itself opened to list the folder.
                    #expect(result.stdoutText.split(separator: "\n") == ["0", "1", "2", "3"])
                }
                _ = try await ProcessRunner.run(ProcessRequest("sleep", ["10"], environment: path, timeout: .milliseconds(50)))
                _ = try? await ProcessRunner.run(ProcessRequest("/nonexistent/program"))
            }
        }

        @Test func cancellingTheTaskStopsTheChild() async throws {
            // The child is started (its pid read back) before the task is cancelled: a state, not a pause.
            let marker = try TemporaryDirectory()
            defer { marker.remove() }
            let pidFile = marker.path + "/pid"
            let task = Task {
                try await ProcessRunner.run(ProcessRequest("/bin/sh", ["-c", "echo $$ > \(pidFile).new && mv \(pidFile).new \(pidFile); exec sleep 100"],
                                                           environment: path))
            }
            #expect(await gone { FileSystem.exists(pidFile) }, "the child started")
            task.cancel()
            // A child left running would end after its 100 s with a normal result, not this error.
            await #expect(throws: CancellationError.self) { try await task.value }
            let pid = try #require(String(decoding: try FileSystem.read(pidFile), as: UTF8.self)
                .split(separator: "\n").first.flatMap { pid_t($0) })
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "reaped by the runner before it threw")
        }

        @Test func backgroundGrandchildHoldingThePipeDoesNotHangTheRun() async throws {
            // The run returns while the grandchild still holds the output pipe: it is alive afterwards
            // (checked, then stopped by its group id), so the run did not wait for its end.
            let result = try await ProcessRunner.run(ProcessRequest("/bin/sh", ["-c", "sleep 600 & echo started"],
                                                                    environment: path, newProcessGroup: true))
            defer { _ = kill(-result.processID, SIGKILL) }
            #expect(result.status == .exited(0))
            #expect(result.stdoutText == "started\n")
            #expect(kill(-result.processID, 0) == 0, "the background sleep still runs")
        }
    }
}

/// Polls `condition` until it holds. The bound (a minute) only keeps a broken run from hanging: a
/// loaded machine (a sanitizer, other builds) may take seconds, and the test waits no longer than needed.
func gone(_ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
