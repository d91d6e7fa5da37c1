#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

@Suite struct ProcessesTests {
    /// A zombie still `exists` (kill(pid, 0) succeeds until it is reaped) but is not running: what a
    /// node waiting for a manager that PID 1 has not reaped yet must see.
    @Test func aZombieExistsButIsNotRunning() async throws {
        #expect(Processes.isRunning(getpid()))
        let pid = try ChildProcess.spawn(ProcessRequest("/bin/true"), path: "/bin/true", stdin: -1, stdout: 2, stderr: 2)
        // Bounded: were a zombie still "running", this fails instead of waiting for the step's timeout.
        // The bound (a minute) is a guard; the wait ends when /bin/true has exited.
        let deadline = ContinuousClock.now + .seconds(60)
        while Processes.isRunning(pid), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(!Processes.isRunning(pid), "/bin/true still counts as running after a minute")
        #expect(Processes.exists(pid), "not reaped yet: a zombie")
        var status: CInt = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(!Processes.isRunning(pid) && !Processes.exists(pid))
    }

    /// `send` delivers a real signal: a stopped child runs on after `.resume`, and `.kill` ends it
    /// with SIGKILL as its cause; a process that is not there is reported, not signalled.
    @Test func sendDeliversSignalsAndReportsAMissingProcess() async throws {
        let pid = try ChildProcess.spawn(ProcessRequest("/bin/sleep", ["600"]), path: "/bin/sleep", stdin: -1, stdout: 2, stderr: 2)
        var status: CInt = 0
        #expect(Processes.send(Signal(rawValue: SIGSTOP), to: pid))
        #expect(waitpid(pid, &status, WUNTRACED) == pid && status & 0xff == 0x7f, "stopped")
        #expect(Processes.send(.resume, to: pid))
        #expect(waitpid(pid, &status, WCONTINUED) == pid && status == 0xffff, "continued")
        #expect(Processes.send(.kill, to: pid))
        #expect(waitpid(pid, &status, 0) == pid && status & 0x7f == SIGKILL)
        #expect(!Processes.send(.terminate, to: pid), "reaped: no such process any more")
        #expect(Signal.resume.description == "SIGCONT")
    }

    /// Who this process is, as the kernel and the environment say.
    @Test func currentUserAndEnvironmentAreThisProcesss() {
        #expect(Processes.currentUserID == getuid())
        #expect(Processes.environmentVariable("PATH") == ProcessRequest.inheritedEnvironment["PATH"])
        #expect(Processes.environmentVariable("BERTH_SURELY_UNSET_\(getpid())") == nil)
    }
}
