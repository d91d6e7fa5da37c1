import Testing
@testable import BerthSystem

extension SystemTests {
    /// The client side's one poll loop, on real socket pairs: who is woken, with what, and what a
    /// read returns.
    @Suite struct PollLoopTests {
        @Test func wakesOnlyTheReadyOwnerAndReadsItsBytesThenTheEnd() async throws {
            try await expectNoDescriptorLeak {
                let (a, aPeer) = try Socket.pair()
                let (b, bPeer) = try Socket.pair()
                defer { for s in [a, aPeer, b, bPeer] { s.close() } }
                try a.setNonBlocking(true)
                try b.setNonBlocking(true)
                let loop = PollLoop<String>()
                _ = try Array("hello".utf8).withUnsafeBytes { try bPeer.send($0) }

                loop.watch(a.descriptor, for: .readable, owner: "a")
                loop.watch(b.descriptor, for: .readable, owner: "b")
                var woken: [(String, PollEvents)] = []
                try loop.wait { woken.append(($0, $1)) }
                #expect(woken.map(\.0) == ["b"])
                #expect(woken.first?.1.contains(.readable) == true)

                guard case .bytes(let bytes) = try loop.read(b.descriptor) else {
                    Issue.record("expected bytes")
                    return
                }
                #expect(Array(bytes) == Array("hello".utf8))
                guard case .wouldBlock = try loop.read(b.descriptor) else {
                    Issue.record("expected nothing more for now")
                    return
                }
                bPeer.shutdown(.write)
                guard case .end = try loop.read(b.descriptor) else {
                    Issue.record("expected the end of stream")
                    return
                }
            }
        }

        @Test func aTurnWithNothingReadyEndsAtTheEarliestWakeAndTheWatchListIsCleared() throws {
            let (a, aPeer) = try Socket.pair()
            defer { a.close(); aPeer.close() }
            let loop = PollLoop<Int>()
            let start = loop.now
            loop.watch(a.descriptor, for: .readable, owner: 1)
            loop.wake(at: start + .seconds(3600))
            loop.wake(at: start + .milliseconds(20))
            loop.wake(at: nil)
            var woken = 0
            try loop.wait { _, _ in woken += 1 }
            #expect(woken == 0)
            #expect(loop.now >= start + .milliseconds(20))

            // The next turn starts empty: a ready descriptor not watched again wakes no one.
            _ = try Array("x".utf8).withUnsafeBytes { try aPeer.send($0) }
            loop.wake(at: loop.now)
            try loop.wait { _, _ in woken += 1 }
            #expect(woken == 0)
        }

        @Test func aFiredCancellationSignalWakesItsOwner() throws {
            let signal = try CancellationSignal()
            let loop = PollLoop<String>()
            signal.fire()
            loop.watch(signal.descriptor, for: .readable, owner: "stop")
            var woken: [String] = []
            try loop.wait { owner, _ in woken.append(owner) }
            #expect(woken == ["stop"])
        }

        /// A signal fired again and again (the agent's reauthenticate): consumed, it stops waking
        /// its owner until it is fired again.
        @Test func aConsumedSignalIsQuietUntilFiredAgain() throws {
            let signal = try CancellationSignal()
            #expect(!signal.consume(), "never fired")
            signal.fire()
            signal.fire()
            #expect(signal.consume(), "both firings taken at once")
            #expect(!signal.consume())
            let loop = PollLoop<String>()
            loop.watch(signal.descriptor, for: .readable, owner: "signal")
            loop.wake(at: loop.now)
            var woken: [String] = []
            try loop.wait { owner, _ in woken.append(owner) }
            #expect(woken.isEmpty, "consumed: not readable")
            signal.fire()
            loop.watch(signal.descriptor, for: .readable, owner: "signal")
            try loop.wait { owner, _ in woken.append(owner) }
            #expect(woken == ["signal"])
        }
    }
}
