import Testing
import BerthCore
import BerthProtocol
import BerthSystem
@testable import BerthNode

@Suite struct ContainerStoreTests {
    func withStore(_ body: (ContainerStore) throws -> Void) throws {
        let root = "/tmp/berth-store-test-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileSystem.removeTree(root) }
        let layout = try Layout(stateDir: root + "/state", runDir: root + "/run", unitDir: root + "/units")
        try layout.prepare()
        try body(ContainerStore(layout: layout))
    }

    static func record(_ id: String) -> ContainerRecord {
        ContainerRecord(id: id, image: "localhost/busybox:latest", command: ["sleep", "1"],
                        ports: [PortPair(internal: 80, external: 20001)], environmentNames: ["A"],
                        environmentSource: nil, volumes: [], slice: SharedUnits.slice, requestId: "r1",
                        runtime: .podman, installParams: ["id": .string(id)])
    }

    /// An environment file an older node wrote in systemd's syntax is converted once, values intact,
    /// before any unit hands it to the runtime.
    @Test func olderEnvironmentFilesAreConverted() throws {
        try withStore { store in
            let id = try Identifier("old")
            try store.create(Self.record("old"), environment: Environment())
            let path = store.layout.container(id).environmentFile
            try FileSystem.writeAtomically(Array("A=\"x \\\"q\\\" \\$y\"\nB=plain\n".utf8), to: path, mode: 0o600)
            #expect(try store.convertEnvironmentFile(id))
            let text = String(decoding: try FileSystem.read(path), as: UTF8.self)
            #expect(text == RuntimeEnvironmentFile.header + "\nA=x \"q\" $y\nB=plain\n")
            #expect(try store.convertEnvironmentFile(id) == false)
        }
    }

    @Test func createCommitsRecordAndEnvironmentTogether() throws {
        try withStore { store in
            let id = try Identifier("web")
            var env = Environment()
            try env.set(EnvironmentVariable(name: "A", value: "x \"$%y"))
            try store.create(Self.record("web"), environment: env)
            #expect(try store.read(id) == Self.record("web"))
            #expect(try store.readEnvironment(id)["A"] == "x \"$%y")
            #expect(try FileSystem.list(store.layout.containersDir) == ["web"])
            // A second create of the same id does not replace the first.
            #expect(throws: (any Error).self) { try store.create(Self.record("web"), environment: Environment()) }
            #expect(try FileSystem.list(store.layout.containersDir) == ["web"])
            try store.remove(id)
            #expect(try FileSystem.list(store.layout.containersDir).isEmpty)
        }
    }

    @Test func leftoversOfInterruptedWritesAreRemovedAndDamagedRecordsReported() throws {
        try withStore { store in
            let dir = store.layout.containersDir
            try FileSystem.createDirectory("\(dir)/.staging-a-1")
            try FileSystem.createDirectory("\(dir)/.deleting-b-2")
            try FileSystem.createDirectory("\(dir)/broken")
            try FileSystem.writeAtomically(Array("{not json".utf8), to: "\(dir)/broken/container.json")
            try store.create(Self.record("ok"), environment: Environment())
            #expect(try store.recoverLeftovers().sorted() == [".deleting-b-2", ".staging-a-1"])
            let (records, damaged) = try store.readAll()
            #expect(records.keys.map(\.rawValue) == ["ok"])
            #expect(damaged == ["broken"])
        }
    }

    @Test func requestRecordsRoundTrip() throws {
        try withStore { store in
            let log = RequestLog(layout: store.layout)
            let requestsDir = store.layout.requestsDir
            let record = RequestRecord(method: "container.install", params: ["id": "x"], result: ["state": "active"])
            let path = try store.layout.requestRecord(forRequestId: "retry me/../x")
            try RequestLog.Entry(bytes: try ContainerStore.encode(record), path: path, evicted: [], requestsDir: requestsDir).write()
            #expect(try log.read("retry me/../x") == record)
            #expect(try log.read("other") == nil)
            // The evicted records go with the write of the new one.
            try RequestLog.Entry(bytes: try ContainerStore.encode(record), path: try store.layout.requestRecord(forRequestId: "other"),
                                 evicted: [FileSystem.baseName(of: path)], requestsDir: requestsDir).write()
            #expect(try log.read("retry me/../x") == nil)
            #expect(try log.read("other") == record)
        }
    }
}
