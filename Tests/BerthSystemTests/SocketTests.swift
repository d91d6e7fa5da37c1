#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BerthSystem

extension SystemTests {
    @Suite struct SocketTests {
        /// `send` takes an array, a slice of one, and a collection with no contiguous storage, and
        /// sends exactly their bytes, so no caller needs a pointer of its own.
        @Test func sendTakesAnyByteCollection() throws {
            let (a, b) = try Socket.pair()
            defer { a.close(); b.close() }
            let bytes = Array("hello, node\n".utf8)
            #expect(try a.send(bytes) == bytes.count)
            #expect(try a.send(bytes[7...]) == 5)
            #expect(try a.send(bytes.lazy.map { $0 == UInt8(ascii: "h") ? UInt8(ascii: "H") : $0 }) == bytes.count)
            var received: [UInt8] = []
            while received.count < 2 * bytes.count + 5, let chunk = try b.receive(upTo: 64), !chunk.isEmpty { received += chunk }
            #expect(String(decoding: received, as: UTF8.self) == "hello, node\nnode\nHello, node\n")
        }

        @Test func unixListenerSetsModeAndAcceptsWithPeerCredentials() async throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let path = "\(dir.path)/node.sock"
            let listener = try Listener.unix(path: path, mode: 0o660, group: getgid())
            defer { listener.close() }
            let mode = try #require(fileMode(path))
            #expect(mode & S_IFMT == S_IFSOCK)
            #expect(mode & 0o777 == 0o660)

            let (client, server) = try await listener.connectedPair()
            defer { client.close(); server.close() }
            let credentials = try server.peerCredentials()
            #expect(credentials == PeerCredentials(processID: getpid(), userID: getuid(), groupID: getgid()))
            #expect(try listener.localAddress() == .unix(path: path))
            #expect(try Socket(FileDescriptor(rawValue: server.registration.fd)).descriptor.isCloseOnExec())
        }

        @Test func staleSocketFileIsReplacedButLiveOneAndOtherFilesAreNot() throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let path = "\(dir.path)/node.sock"

            // Stale: bound once, then its process "died" (closed) leaving the file.
            let dead = try Socket.listen(unixPath: path)
            dead.close()
            #expect(FileSystem.exists(path))
            let fresh = try Socket.listen(unixPath: path)
            defer { fresh.close() }

            // Live: the fresh listener answers, so a second one must not steal its path.
            let error = #expect(throws: SocketError.self) { try Socket.listen(unixPath: path) }
            #expect(error?.code == .addressInUse)
            #expect(FileSystem.exists(path))

            // Not a socket: never removed.
            let plain = "\(dir.path)/plain"
            try FileSystem.writeAtomically(Array("keep".utf8), to: plain)
            let notSocket = #expect(throws: SocketError.self) { try Socket.listen(unixPath: plain) }
            #expect(notSocket?.code == .notASocket)
            #expect(try FileSystem.read(plain) == Array("keep".utf8))
        }

        @Test func tooLongUnixPathFailsClearlyAndCreatesNothing() throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let path = dir.path + "/" + String(repeating: "s", count: 120)
            let error = #expect(throws: SocketError.self) { try Socket.listen(unixPath: path) }
            #expect(error?.code == .pathTooLong)
            #expect(error?.description.contains(path) == true)
            #expect(try FileSystem.list(dir.path).isEmpty)
        }

        @Test func tcpListenersOnIPv4AndIPv6() async throws {
            for host in ["127.0.0.1:0", "[::1]:0"] {
                let listener = try Listener.listen(on: SocketAddress(parsing: host))
                defer { listener.close() }
                let bound = try listener.localAddress()
                let port = try #require(bound.port)
                #expect(port != 0)
                let (client, server) = try await listener.connectedPair()
                try await client.write(Array("ping".utf8))
                #expect(try await server.read() == Array("ping".utf8))
                #expect(try server.localAddress() == bound)
                #expect(try server.remoteAddress() == client.localAddress())
                client.close()
                server.close()
            }
        }

        @Test func ipv6ListenerIsV6Only() throws {
            let v6 = try Socket.listen(on: SocketAddress(parsing: "[::]:0"))
            defer { v6.close() }
            var value: CInt = 0
            var length = socklen_t(MemoryLayout<CInt>.size)
            #expect(getsockopt(v6.descriptor.rawValue, CInt(IPPROTO_IPV6), IPV6_V6ONLY, &value, &length) == 0)
            #expect(value == 1)
            // So the same port stays free on IPv4.
            let port = try #require(try v6.localAddress().port)
            let v4 = try Socket.listen(on: .ipv4(.any, port: port))
            v4.close()
        }

        @Test func inheritedListenerMustBeAListeningSocket() async throws {
            let original = try Socket.listen(on: .ipv4(.loopback, port: 0))
            let copy = dup(original.descriptor.rawValue)  // dup drops FD_CLOEXEC, as an exec'd child sees it
            original.close()
            #expect(try FileDescriptor(rawValue: copy).isCloseOnExec() == false)
            let listener = try Listener.inherited(FileDescriptor(rawValue: copy))
            defer { listener.close() }
            #expect(try FileDescriptor(rawValue: copy).isCloseOnExec())
            let (client, server) = try await listener.connectedPair()
            client.close()
            server.close()

            let (a, b) = try Socket.pair()
            defer { a.close(); b.close() }
            #expect(throws: SocketError.self) { try Socket.inherited(a.descriptor) }
            let file = try FileDescriptor.open("/dev/null", O_RDONLY)
            defer { file.close() }
            let error = #expect(throws: SocketError.self) { try Socket.inherited(file) }
            #expect(error?.code == .notASocket)
        }

        @Test func connectFailuresAreClear() async throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let missing = "\(dir.path)/nobody.sock"
            let error = await #expect(throws: SystemError.self) { try await Connection.connect(to: .unix(path: missing)) }
            #expect(error?.errno == .noEntry)
            #expect(error?.description.contains(missing) == true)

            // A port nobody listens on (bound, then closed) refuses.
            let probe = try Socket.listen(on: .ipv4(.loopback, port: 0))
            let port = try #require(try probe.localAddress().port)
            probe.close()
            let refused = await #expect(throws: SystemError.self) {
                try await Connection.connect(to: .ipv4(.loopback, port: port), timeout: .seconds(2))
            }
            #expect(refused?.errno.rawValue == ECONNREFUSED)
            #expect(throws: SystemError.self) { try Socket.connect(to: .ipv4(.loopback, port: port), timeout: .seconds(2)) }
        }

        @Test func connectTimesOutWhenTheBacklogIsFull() async throws {
            // A Unix listener that never accepts, with a backlog of 0: once its queue is full a
            // non-blocking connect gets EAGAIN (nothing to wait for), so connect can only time out.
            // (TCP is no good here: with a full accept queue Linux may still complete the handshake.)
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let listener = try Socket.listen(unixPath: "\(dir.path)/full.sock", backlog: 0)
            defer { listener.close() }
            let address = try listener.localAddress()
            var held: [Socket] = []
            defer { held.forEach { $0.close() } }
            var timedOut: SocketError?
            for _ in 0..<8 where timedOut == nil {
                do {
                    held.append(try Socket.connect(to: address, timeout: .milliseconds(200)))
                } catch let error as SocketError {
                    timedOut = error
                }
            }
            #expect(!held.isEmpty)
            #expect(timedOut?.code == .timedOut)
            let clock = ContinuousClock()
            let start = clock.now
            let asyncError = await #expect(throws: SocketError.self) {
                try await Connection.connect(to: address, timeout: .milliseconds(200))
            }
            #expect(asyncError?.code == .timedOut)
            #expect(asyncError?.message.contains(address.description) == true)
            // Not before its deadline; `.timedOut` says the deadline, not the peer, ended it.
            #expect(clock.now - start >= .milliseconds(200))
        }
    }
}
