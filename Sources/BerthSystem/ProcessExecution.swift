#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

/// One run of one child: spawn, then a poll loop over its output pipes, its stdin socket, its pidfd
/// and the cancellation eventfd, until it has exited and its output is drained.
struct ProcessExecution {
    let request: ProcessRequest
    let cancellation: CancellationSignal?

    /// After the child exits, how long to keep reading pipes a background grandchild may hold open.
    private static let drainWindow: Duration = .milliseconds(200)

    func run() throws -> ProcessResult {
        let path = try request.resolvedExecutable()
        var cleanup = Descriptors()
        defer { cleanup.closeAll() }

        let (outRead, outWrite) = try cleanup.pipe()
        let (errRead, errWrite) = try cleanup.pipe()
        var inParent: CInt = -1
        var inChild: CInt = -1
        if request.standardInput != nil {
            // A socket, not a pipe: send(MSG_NOSIGNAL) to a child that stopped reading gives EPIPE
            // instead of killing us with SIGPIPE.
            let (parent, child) = try Socket.pair()
            inParent = cleanup.track(parent.descriptor.rawValue)
            inChild = cleanup.track(child.descriptor.rawValue)
            try parent.setNonBlocking(true)
        }
        try Socket(FileDescriptor(rawValue: outRead)).setNonBlocking(true)
        try Socket(FileDescriptor(rawValue: errRead)).setNonBlocking(true)

        let pid = try ChildProcess.spawn(request, path: path, stdin: inChild, stdout: outWrite, stderr: errWrite)
        // The child has its copies; ours would keep the pipes open after it exits.
        cleanup.close(outWrite)
        cleanup.close(errWrite)
        if inChild >= 0 { cleanup.close(inChild) }

        var state = LoopState(pid: pid, request: request)
        state.stdoutFD = outRead
        state.stderrFD = errRead
        state.stdinFD = inParent
        if state.stdinFD >= 0 && (request.standardInput ?? []).isEmpty { cleanup.close(inParent); state.stdinFD = -1 }
        let pidfd = berth_pidfd_open(pid)
        if pidfd >= 0 { _ = cleanup.track(pidfd) }

        do {
            try loop(&state, pidfd: pidfd, cleanup: &cleanup)
        } catch {
            // Never leave a child running or unreaped behind a failed wait.
            if state.status == nil {
                state.signal(SIGKILL)
                var status: CInt = 0
                _ = retryingOnInterrupt { waitpid(pid, &status, 0) }
            }
            throw error
        }

        if state.cancelled { throw CancellationError() }
        return ProcessResult(processID: pid, status: state.status!, stdout: state.stdout, stderr: state.stderr,
                             timedOut: state.timedOut, truncated: state.truncated)
    }

    private struct LoopState {
        let pid: pid_t
        let request: ProcessRequest
        var stdoutFD: CInt = -1
        var stderrFD: CInt = -1
        var stdinFD: CInt = -1
        var stdinOffset = 0
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var truncated = false
        var timedOut = false
        var cancelled = false
        var status: ProcessStatus?
        var killAt: ContinuousClock.Instant?
        var killed = false
        var drainUntil: ContinuousClock.Instant?

        init(pid: pid_t, request: ProcessRequest) {
            self.pid = pid
            self.request = request
        }

        /// SIGTERM now, SIGKILL after the grace period (to the whole group when it has one).
        mutating func terminate() {
            guard killAt == nil, status == nil else { return }
            signal(SIGTERM)
            killAt = .now + request.terminationGracePeriod
        }

        func signal(_ sig: CInt) {
            // The child is not reaped yet, so its pid (and group id) cannot have been reused.
            if request.newProcessGroup { _ = kill(-pid, sig) } else { _ = kill(pid, sig) }
        }
    }

    private func loop(_ s: inout LoopState, pidfd: CInt, cleanup: inout Descriptors) throws {
        let deadline = request.timeout.map { ContinuousClock.now + $0 }
        let input = request.standardInput ?? []
        while true {
            if s.status != nil && s.stdoutFD < 0 && s.stderrFD < 0 { return }
            let now = ContinuousClock.now
            if let deadline, !s.timedOut, s.status == nil, now >= deadline {
                s.timedOut = true
                s.terminate()
            }
            if let killAt = s.killAt, !s.killed, s.status == nil, now >= killAt {
                s.killed = true
                s.signal(SIGKILL)
            }
            if let drainUntil = s.drainUntil, now >= drainUntil { return }

            var wake: [ContinuousClock.Instant] = []
            if let deadline, !s.timedOut, s.status == nil { wake.append(deadline) }
            if let killAt = s.killAt, !s.killed, s.status == nil { wake.append(killAt) }
            if let drainUntil = s.drainUntil { wake.append(drainUntil) }
            var timeout: CInt = wake.min().map { Socket.milliseconds(until: $0) } ?? -1
            if pidfd < 0 && s.status == nil { timeout = timeout < 0 ? 20 : min(timeout, 20) }  // no pidfd: poll waitpid

            var fds: [pollfd] = []
            func add(_ fd: CInt, _ events: CInt) { if fd >= 0 { fds.append(pollfd(fd: fd, events: Int16(events), revents: 0)) } }
            add(s.stdoutFD, POLLIN)
            add(s.stderrFD, POLLIN)
            add(s.stdinFD, POLLOUT)
            if s.status == nil { add(pidfd, POLLIN) }
            if !s.cancelled { add(cancellation?.fd ?? -1, POLLIN) }

            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("poll")
            }
            for entry in fds where entry.revents != 0 {
                switch entry.fd {
                case s.stdoutFD:
                    if try drain(entry.fd, into: &s.stdout, truncated: &s.truncated) { cleanup.close(entry.fd); s.stdoutFD = -1 }
                case s.stderrFD:
                    if try drain(entry.fd, into: &s.stderr, truncated: &s.truncated) { cleanup.close(entry.fd); s.stderrFD = -1 }
                case s.stdinFD:
                    if try feed(entry.fd, input, offset: &s.stdinOffset) { cleanup.close(entry.fd); s.stdinFD = -1 }
                case cancellation?.fd ?? -2:
                    s.cancelled = true
                    s.terminate()
                default:
                    break  // the pidfd: reaped below
                }
            }
            if s.status == nil, let status = try reap(s.pid) {
                s.status = status
                s.drainUntil = .now + Self.drainWindow
                if s.stdinFD >= 0 { cleanup.close(s.stdinFD); s.stdinFD = -1 }
            }
        }
    }

    /// Reads everything available; true at end of file. Bytes past the limit are read and dropped.
    private func drain(_ fd: CInt, into buffer: inout [UInt8], truncated: inout Bool) throws -> Bool {
        while true {
            guard let chunk = try Socket(FileDescriptor(rawValue: fd)).readAvailable(upTo: 65536) else { return false }
            if chunk.isEmpty { return true }
            let room = max(0, request.outputLimit - buffer.count)
            if chunk.count > room { truncated = true }
            buffer += chunk.prefix(room)
        }
    }

    /// Sends what the child will take; true once everything is sent or the child stopped reading.
    private func feed(_ fd: CInt, _ input: [UInt8], offset: inout Int) throws -> Bool {
        while offset < input.count {
            do {
                guard let sent = try input[offset...].withUnsafeBytes({ try Socket(FileDescriptor(rawValue: fd)).send($0) }) else {
                    return false
                }
                offset += sent
            } catch let error as SystemError where error.errno == .brokenPipe || error.errno == .connectionReset {
                return true  // the child closed its standard input: what it did not read is its business
            }
        }
        return true
    }

    /// The exit status if the child has exited. The corresponding C function is `waitpid`.
    private func reap(_ pid: pid_t) throws -> ProcessStatus? {
        var status: CInt = 0
        let rc = retryingOnInterrupt { waitpid(pid, &status, WNOHANG) }
        if rc == 0 { return nil }
        guard rc == pid else { throw SystemError("waitpid") }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which are macros Swift cannot import.
        if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(status & 0x7f)
    }
}

/// The descriptors of one run, closed exactly once whatever path the run takes.
private struct Descriptors {
    private var open: Set<CInt> = []

    mutating func track(_ fd: CInt) -> CInt {
        open.insert(fd)
        return fd
    }

    mutating func pipe() throws -> (read: CInt, write: CInt) {
        var fds: [CInt] = [-1, -1]
        guard berth_pipe2(&fds, 0) == 0 else { throw SystemError("pipe2") }
        return (track(fds[0]), track(fds[1]))
    }

    mutating func close(_ fd: CInt) {
        if open.remove(fd) != nil { Glibc.close(fd) }
    }

    mutating func closeAll() {
        for fd in open { Glibc.close(fd) }
        open = []
    }
}
