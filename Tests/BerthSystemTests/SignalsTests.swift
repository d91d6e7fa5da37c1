#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

extension SystemTests {
    @Suite struct SignalsTests {
        /// The first `count` signals of `stream`, or fewer if they do not come within `limit` (so a lost
        /// signal fails the test instead of hanging it; the collection ends as soon as all are in).
        func collect(_ stream: AsyncStream<Signal>, count: Int, within limit: Duration = .seconds(60)) async -> [Signal] {
            let collector = Task {
                var got: [Signal] = []
                for await signal in stream {
                    got.append(signal)
                    if got.count == count { break }
                }
                return got
            }
            let timer = Task {
                try await Task.sleep(for: limit)
                collector.cancel()
            }
            defer { timer.cancel() }
            return await collector.value
        }

        /// Each signal is sent once the one before it has arrived (the same standard signal sent twice
        /// before it is handled arrives once: POSIX does not queue them), so no pause decides the result.
        /// The time limit only stops a lost signal from hanging the run.
        @Test(.timeLimit(.minutes(1))) func trappedSignalsArriveOnTheStreamInsteadOfKillingTheProcess() async throws {
            defer { Signals.restoreDefault([.hangup, .user2]) }
            try Signals.trap([.hangup, .user2])
            // Sent before any stream exists: held for the first one that asks.
            kill(getpid(), SIGHUP)
            let stream = try Signals.stream([.hangup, .user2])
            var received = stream.makeAsyncIterator()
            #expect(await received.next() == .hangup)
            kill(getpid(), SIGUSR2)
            #expect(await received.next() == .user2)
            kill(getpid(), SIGHUP)
            #expect(await received.next() == .hangup)
        }

        @Test func eachStreamSeesOnlyWhatItAskedFor() async throws {
            defer { Signals.restoreDefault([.user1, .user2]) }
            let ones = try Signals.stream([.user1])
            let twos = try Signals.stream([.user2])
            async let gotOnes = collect(ones, count: 1)
            async let gotTwos = collect(twos, count: 1)
            kill(getpid(), SIGUSR2)
            kill(getpid(), SIGUSR1)
            #expect(await gotOnes == [.user1])
            #expect(await gotTwos == [.user2])
            #expect(Signal.terminate.description == "SIGTERM")
        }
    }

    @Suite struct SystemdTests {
        @Test(arguments: [false, true])
        func notifySendsDatagramsToPathAndAbstractSockets(abstract: Bool) throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let name = abstract ? "@berth-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" : "\(dir.path)/notify"
            let fd = socket(AF_UNIX, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
            #expect(fd >= 0)
            defer { Glibc.close(fd) }
            try SocketAddress.unix(path: name).withSockAddr { addr, length in
                #expect(bind(fd, addr, length) == 0)
            }
            func receive() -> String {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = recv(fd, &buffer, buffer.count, CInt(MSG_DONTWAIT))
                return n < 0 ? "<nothing>" : String(decoding: buffer[..<n], as: UTF8.self)
            }
            let notifier = try SystemdNotifier(notifySocket: name)
            try notifier.ready(status: "serving\non two lines")
            #expect(receive() == "READY=1\nSTATUS=serving on two lines")
            try notifier.status("3 containers")
            #expect(receive() == "STATUS=3 containers")
            try notifier.stopping()
            #expect(receive() == "STOPPING=1")
            #expect(throws: SocketError.self) { try notifier.send(["READY=1\nMAINPID=1"]) }
            #expect(receive() == "<nothing>")
        }

        @Test func notifySocketMustBeAUnixAddress() {
            #expect(throws: SocketError.self) { try SystemdNotifier(notifySocket: "vsock:2:1234") }
            #expect(throws: SocketError.self) { try SystemdNotifier(notifySocket: "") }
        }

        @Test func socketActivationHandsOverDescriptorsByName() throws {
            // Two descriptors, made without close-on-exec as systemd passes them.
            // Fixed high numbers: other test targets run concurrently in this process and open
            // descriptors of their own, so two consecutive dup() results are not guaranteed.
            let opened = Glibc.open("/dev/null", O_RDONLY)
            let first: CInt = 901, second: CInt = 902
            #expect(dup2(opened, first) == first)
            #expect(dup2(opened, second) == second)
            defer { Glibc.close(first); Glibc.close(second); Glibc.close(opened) }
            let found = try SocketActivation.descriptors(listenPID: "\(getpid())", listenFDs: "2",
                                                         listenFDNames: "berth.sock:", processID: getpid(), first: first)
            #expect(found == [ActivatedDescriptor(descriptor: FileDescriptor(rawValue: first), name: "berth.sock"),
                              ActivatedDescriptor(descriptor: FileDescriptor(rawValue: second), name: "unknown")])
            #expect(try FileDescriptor(rawValue: first).isCloseOnExec())
            #expect(try FileDescriptor(rawValue: second).isCloseOnExec())

            #expect(try SocketActivation.descriptors(listenPID: "1", listenFDs: "2", listenFDNames: nil,
                                                     processID: getpid(), first: first).isEmpty)
            #expect(try SocketActivation.descriptors(listenPID: nil, listenFDs: nil, listenFDNames: nil,
                                                     processID: getpid(), first: first).isEmpty)
            #expect(throws: SocketError.self) {
                try SocketActivation.descriptors(listenPID: "x", listenFDs: "1", listenFDNames: nil, processID: getpid(), first: first)
            }
            #expect(throws: SocketError.self) {
                try SocketActivation.descriptors(listenPID: "\(getpid())", listenFDs: "-1", listenFDNames: nil,
                                                 processID: getpid(), first: first)
            }
        }

        @Test func takeDescriptorsUnsetsTheVariables() throws {
            setenv("LISTEN_PID", "1", 1)  // another process's: nothing is taken, but the variables go
            setenv("LISTEN_FDS", "1", 1)
            setenv("LISTEN_FDNAMES", "x", 1)
            #expect(try SocketActivation.takeDescriptors().isEmpty)
            #expect(getenv("LISTEN_PID") == nil && getenv("LISTEN_FDS") == nil && getenv("LISTEN_FDNAMES") == nil)
        }
    }
}
