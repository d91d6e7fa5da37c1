import BerthSystem
import Testing
@testable import BerthCore

@Suite struct LayoutTests {
    /// Resolves `.`, `..` and repeated slashes the way the kernel would for a path without links.
    static func normalised(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// A random identifier over the whole alphabet of the rule, biased towards dots and dashes.
    static func randomIdentifier<G: RandomNumberGenerator>(using g: inout G) -> Identifier {
        let first = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let rest = first + Array("._-......---___")
        let length = Int.random(in: 1...Identifier.maxLength, using: &g)
        var s = String(first.randomElement(using: &g)!)
        for _ in 1..<length { s.append(rest.randomElement(using: &g)!) }
        return try! Identifier(s)
    }

    @Test func defaults() {
        let layout = Layout.standard
        #expect(layout.stateDir == "/var/lib/berth")
        #expect(layout.runDir == "/run/berth")
        #expect(layout.unitDir == "/etc/systemd/system")
        let paths = layout.container(try! Identifier("web"))
        #expect(paths.unitFile == "/etc/systemd/system/ctr-web.service")
        #expect(paths.socketUnitFile == "/etc/systemd/system/ctr-web.socket")
        #expect(paths.startOnBootLink == "/etc/systemd/system/berth-active.target.wants/ctr-web.service")
        #expect(paths.environmentFile == "/var/lib/berth/containers/web/environment")
        #expect(paths.linksFile == "/var/lib/berth/containers/web/links.json")
        #expect(paths.portsFile == "/var/lib/berth/containers/web/ports.json")
        #expect(paths.record == "/var/lib/berth/containers/web/container.json")
        #expect(paths.authorizedKeys == "/var/lib/berth/home/web/.ssh/authorized_keys")
        #expect(paths.initScript == "/run/berth/containers/web/container-init.sh")
        #expect(paths.cmdScript == "/run/berth/containers/web/container-cmd.sh")
        #expect(paths.idleFlag == "/var/lib/berth/idle/ctr-web.idle")
        #expect(paths.lockFile == "/run/berth/locks/ctr-web.lock")
        #expect(layout.portsDir == "/var/lib/berth/ports")
        #expect(layout.requestsDir == "/var/lib/berth/requests")
        #expect(layout.portsLock == "/run/berth/locks/ports.lock")
    }

    @Test func rootsAreNormalisedAndChecked() throws {
        let layout = try Layout(stateDir: "/srv/berth/", runDir: "/run/b//", unitDir: "/etc/u")
        #expect(layout.stateDir == "/srv/berth")
        #expect(layout.runDir == "/run/b")
        for (state, reason) in [("relative", "absolute"), ("/", "may not be /"), ("/a/../b", "'..'"),
                                ("/a//b", "empty"), ("/a/./b", "'.'"), ("/a b", "whitespace"),
                                ("/a%b", "whitespace"), ("/a$b", "whitespace"), ("/run/berth", "nested"),
                                ("/run", "nested"), ("/run/berth/x", "nested")] {
            #expect {
                _ = try Layout(stateDir: state)
            } throws: { error in
                (error as? LayoutError)?.reason.contains(reason) == true
            }
        }
    }

    @Test func thousandsOfIdentifiersStayInsideTheirRootsAndNeverShareAPath() throws {
        let layout = try Layout(stateDir: "/s/state", runDir: "/r/run", unitDir: "/u/units")
        let roots = [layout.stateDir, layout.runDir, layout.unitDir]
        let shared = Set([layout.containersDir, layout.homesDir, layout.idleDir, layout.portsDir, layout.requestsDir,
                          layout.runContainersDir, layout.locksDir, layout.nodeLock, layout.portsLock,
                          layout.startOnBootDir] + roots)
        var g = SystemRandomNumberGenerator()
        var ids = Set<Identifier>()
        while ids.count < 3000 { ids.insert(Self.randomIdentifier(using: &g)) }
        // Deliberately tricky neighbours: prefixes of one another and dot runs.
        for s in ["a", "a.", "a..", "a.b", "ab", "a-", "a_", "A", "ctr-a", "ports", "locks", "0"] { ids.insert(try Identifier(s)) }

        var owner: [String: Identifier] = [:]
        var ownedDirectories: [String: Identifier] = [:]
        for id in ids {
            let paths = layout.container(id)
            #expect(paths.all.count == Set(paths.all).count, "\(id) has two equal paths")
            for path in paths.all {
                let n = Self.normalised(path)
                #expect(n == path, "\(path) is not normal")
                #expect(roots.contains { n.hasPrefix($0 + "/") }, "\(path) escapes")
                #expect(!shared.contains(n), "\(path) is a shared path")
                if let other = owner.updateValue(id, forKey: n) { Issue.record("\(id) and \(other) share \(n)") }
            }
            for dir in paths.directories { ownedDirectories[dir] = id }
        }
        // Removing a container's directories must not reach any path of another container: no
        // ancestor of a path may be a directory another container owns.
        for (path, id) in owner {
            var ancestor = FileSystem.directoryName(of: path)
            while ancestor != "/" {
                if let dirOwner = ownedDirectories[ancestor], dirOwner != id {
                    Issue.record("\(path) of \(id) lies inside \(ancestor) of \(dirOwner)")
                }
                ancestor = FileSystem.directoryName(of: ancestor)
            }
        }
    }

    @Test func requestRecordsAreNamedByTheHashOfTheId() throws {
        let layout = try Layout(stateDir: "/s", runDir: "/r", unitDir: "/u")
        // SHA-256 of "abc" (FIPS 180-2's example): nothing of the id's text reaches the path.
        #expect(try layout.requestRecord(forRequestId: "abc")
                == "/s/requests/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.json")
        #expect(try layout.requestRecord(forRequestId: "x") != layout.requestRecord(forRequestId: "X"))
        #expect(throws: LayoutError.self) { try layout.requestRecord(forRequestId: "") }
        // The limit counts characters as JSON Schema does (code points), not bytes: 128 two-byte and
        // four-byte characters are accepted, and their names are as short as any other.
        for character in ["r", "é", "🚢"] {
            let longest = try layout.requestRecord(forRequestId: String(repeating: character, count: Layout.maxRequestIdCharacters))
            #expect(Layout.isRequestRecordName(FileSystem.baseName(of: longest)))
            #expect(throws: LayoutError.self) {
                try layout.requestRecord(forRequestId: String(repeating: character, count: Layout.maxRequestIdCharacters + 1))
            }
        }
        #expect(!Layout.isRequestRecordName("612f2e2e2f62.json"))
    }

    @Test func prepareAndStartOnBoot() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let layout = try Layout(stateDir: tmp.path + "/state", runDir: tmp.path + "/run", unitDir: tmp.path + "/units")
        try layout.prepare()
        for (dir, _) in layout.sharedDirectories { #expect(FileSystem.exists(dir), "\(dir)") }
        let id = try Identifier("web")
        #expect(!layout.startsOnBoot(id))
        try layout.setStartOnBoot(id, true)
        #expect(layout.startsOnBoot(id))
        try layout.setStartOnBoot(id, true)  // idempotent
        #expect(layout.startsOnBoot(id))
        #expect(!layout.startsOnBoot(try Identifier("other")))
        try layout.setStartOnBoot(id, false)
        #expect(!layout.startsOnBoot(id))
        try layout.setStartOnBoot(id, false)
    }
}
