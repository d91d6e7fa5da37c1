import Testing
@testable import BerthCore
import BerthProtocol
import BerthFuzzChecks

@Suite struct ContainerUnitRendererTests {
    static let cases: [(ContainerRuntime, ContainerUnitShape)] =
        ContainerRuntime.allCases.flatMap { r in ContainerUnitShape.allCases.map { (r, $0) } }

    @Test(arguments: cases)
    func goldenUnits(_ runtime: ContainerRuntime, _ shape: ContainerUnitShape) throws {
        let units = try ContainerUnitRenderer.render(RenderFixtures.spec(runtime, shape))
        for unit in units.all {
            try Golden.check(unit.text, "units/\(runtime.rawValue)-\(shape.rawValue)/\(unit.name)")
        }
        #expect(units.service.name == "ctr-web.service")
        #expect(units.sockets.count == (shape == .socketActivated ? 2 : 0))
        #expect(units.proxies.count == units.sockets.count)
    }

    @Test(arguments: ContainerRuntime.allCases)
    func goldenIsolated(_ runtime: ContainerRuntime) throws {
        let units = try ContainerUnitRenderer.render(RenderFixtures.isolated(runtime))
        try Golden.check(units.service.text, "units/\(runtime.rawValue)-isolated/\(units.service.name)")
        let start = try #require(execLine(units.service.text, "ExecStart"))
        #expect(start.contains("--user=40001:40001"))
        #expect(start.contains("--cap-drop=all"))
        #expect(start.contains("--security-opt=no-new-privileges"))
        #expect(start.contains("--read-only"))
        #expect(start.contains("--entrypoint=/.berth/init"))
        #expect(start.hasSuffix(" -- localhost/busybox:latest"))
    }

    /// A unit whose output goes to the container's log (architecture-logs.md): conmon's k8s-file for
    /// the container, `append:` for the unit's commands, the start and result markers.
    @Test(arguments: [ContainerUnitShape.simple, .foreground])
    func goldenLogged(_ shape: ContainerUnitShape) throws {
        var spec = RenderFixtures.spec(.podman, shape)
        spec.log = ContainerLogSpec(files: ContainerLogFiles(directory: "/var/lib/berth/logs/web"), maxBytes: 1 << 20)
        let units = try ContainerUnitRenderer.render(spec)
        try Golden.check(units.service.text, "units/podman-\(shape.rawValue)-logged/\(units.service.name)")
        let start = try #require(execLine(units.service.text, "ExecStart"))
        #expect(start.contains("--log-driver=k8s-file --log-opt=path=/var/lib/berth/logs/web/container.log --log-opt=max-size=1048576"))
        #expect(start.contains("--attach=stdin") == (shape == .foreground))
        #expect(units.service.text.contains("StandardOutput=append:/var/lib/berth/logs/web/unit.log\n"))
        #expect(units.service.text.contains("StandardError=append:/var/lib/berth/logs/web/unit.log\n"))
    }

    @Test(arguments: ContainerRuntime.allCases)
    func aNetworkIsOneArgumentBeforeTheImage(_ runtime: ContainerRuntime) throws {
        var spec = RenderFixtures.spec(runtime, .simple)
        spec.network = "berth-dual.v6_1"
        let argv = try SystemdUnquote.argv(try #require(execLine(try ContainerUnitRenderer.render(spec).service.text, "ExecStart")))
        let dashes = try #require(argv.firstIndex(of: "--"))
        #expect(argv[..<dashes].filter { $0.hasPrefix("--network") } == ["--network=berth-dual.v6_1"])
        spec.network = nil
        let plain = try SystemdUnquote.argv(try #require(execLine(try ContainerUnitRenderer.render(spec).service.text, "ExecStart")))
        #expect(!plain.contains { $0.hasPrefix("--network") })
    }

    /// systemd 252 loads a unit line of at most 1048575 bytes (measured on the private manager;
    /// one more fails with ENOBUFS and the unit never loads): the renderer refuses anything longer.
    @Test(arguments: ContainerRuntime.allCases)
    func anExecLineOverSystemdsLimitIsRefused(_ runtime: ContainerRuntime) throws {
        var spec = RenderFixtures.spec(runtime, .simple)
        spec.command = []
        func execStart(_ spec: ContainerUnitSpec) throws -> Int {
            let text = try ContainerUnitRenderer.render(spec).service.text
            return try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }).utf8.count
        }
        let bare = try execStart(spec)
        // Arguments of bare-safe characters render as themselves, one space before each.
        var left = ContractLimits.unitLineBytes - bare
        while left > 0 {
            let size = min(ContractLimits.commandArgumentCharacters, left - 1)
            spec.command.append(String(repeating: "a", count: max(size, 1)))
            left -= max(size, 1) + 1
        }
        #expect(try execStart(spec) == ContractLimits.unitLineBytes)
        spec.command[spec.command.count - 1] += "a"
        #expect(throws: RenderError.self) { try ContainerUnitRenderer.render(spec) }
    }

    @Test func networkNamesThatAreRefused() {
        for bad in ["host", "HOST", "private", "slirp4netns", "pasta", "container:web", "ns:/proc/1/ns/net", "", "-x",
                    ".hidden", "a b", "a/b", "a\nb", "%n", String(repeating: "n", count: 64), "ünï"] {
            #expect(throws: RenderError.self, "\(bad.debugDescription)") { try ContainerUnitSpec.validateNetwork(bad) }
        }
        for good in ["podman", "bridge", "none", "berth-dual", "n.1_x-2", String(repeating: "n", count: 63)] {
            #expect(throws: Never.self) { try ContainerUnitSpec.validateNetwork(good) }
        }
    }

    @Test func goldenHostile() throws {
        let spec = RenderFixtures.hostile()
        let units = try ContainerUnitRenderer.render(spec)
        try Golden.check(units.service.text, "units/hostile/\(units.service.name)")
        // Every line is a section, a comment or key=value: nothing started a new line or setting.
        for line in units.service.text.split(separator: "\n") {
            #expect(line.hasPrefix("[") || line.hasPrefix("#") || line.contains("="))
        }
        #expect(!units.service.text.split(separator: "\n").contains { $0.hasPrefix("ExecStartPre=/bin/false") })
        // Read back the way systemd does, the argv after the image is exactly the command.
        let argv = try SystemdUnquote.argv(try #require(execLine(units.service.text, "ExecStart")))
        let dashes = try #require(argv.firstIndex(of: "--"))
        #expect(argv[dashes + 1] == spec.image)
        #expect(Array(argv[(dashes + 2)...]) == spec.command)
        // The variables reach the container through the runtime's env-file, never the runtime's
        // own environment: no EnvironmentFile=, no name copied from it.
        #expect(argv.contains("--env-file=" + (spec.environmentFilePath ?? "")))
        #expect(!argv.contains { $0.hasPrefix("--env=") })
        #expect(!units.service.text.contains("EnvironmentFile="))
        let post = try SystemdUnquote.argv(try #require(execLine(units.service.text, "ExecStartPost")))
        #expect(post == spec.postStartCommand)
    }

    /// The units verify-goldens.sh really runs: busybox httpd behind socket activation. The
    /// `/BERTH_E2E` paths are replaced by the script's own directory.
    @Test func goldenEndToEnd() throws {
        let spec = ContainerUnitSpec(
            id: try Identifier("e2e-web"), image: "localhost/busybox:latest",
            command: ["httpd", "-f", "-p", "8080", "-h", "/var/www"],
            ports: [PortPair(internal: 8080, external: 18971)], environmentFilePath: "/BERTH_E2E/env",
            volumes: [VolumeMount(hostPath: "/BERTH_E2E/www", containerPath: "/var/www", readOnly: true)],
            slice: SharedUnits.smallSlice, requestId: "e2e", shape: .socketActivated,
            socketActivation: SocketActivation(backendPorts: [18971: 28971]), wantedBy: SharedUnits.activeTarget,
            after: [], wants: [])
        for unit in try ContainerUnitRenderer.render(spec).all {
            try Golden.check(unit.text, "e2e/\(unit.name)")
        }
    }

    @Test func imageAlwaysFollowsDoubleDash() throws {
        for (runtime, shape) in Self.cases {
            let text = try ContainerUnitRenderer.render(RenderFixtures.spec(runtime, shape)).service.text
            let argv = try SystemdUnquote.argv(try #require(execLine(text, "ExecStart")))
            let dashes = try #require(argv.firstIndex(of: "--"))
            #expect(argv[dashes + 1] == "localhost/busybox:latest")
            #expect(!text.contains("/bin/sh -c"))
        }
    }

    @Test func podmanSimpleIsNotifyShape() throws {
        let text = try ContainerUnitRenderer.render(RenderFixtures.spec(.podman, .simple)).service.text
        #expect(text.contains("Type=notify\nNotifyAccess=all\n"))
        let start = try #require(execLine(text, "ExecStart"))
        for flag in ["--cidfile=%t/%n.ctr-id", "--sdnotify=conmon", " -d ", "--replace", "--publish=18080:8080"] {
            #expect(start.contains(flag), "missing \(flag)")
        }
        #expect(text.contains("WantedBy=berth-active.target"))
        #expect(text.contains("Slice=berth-small.slice"))
    }

    @Test func dockerShapesAreAttached() throws {
        for shape in ContainerUnitShape.allCases {
            let text = try ContainerUnitRenderer.render(RenderFixtures.spec(.docker, shape)).service.text
            #expect(text.contains("Type=simple"))
            #expect(!text.contains("notify"))
            #expect(text.contains("Environment=\"DOCKER_HOST=unix:///run/berth/podman.sock\""))
            #expect(text.contains("ExecStartPre=-/usr/bin/docker rm -f ctr-web"))
            // The container's exit status must reach systemd: podman's API loses it with --rm.
            #expect(execLine(text, "ExecStart")?.contains("--rm") == false)
            #expect(text.contains("ExecStopPost=-/usr/bin/docker rm --force ctr-web"))
            #expect(text.contains("After=network-online.target docker.service docker.socket"))
        }
    }

    @Test func socketActivatedPublishesOnLoopbackAndWaits() throws {
        let units = try ContainerUnitRenderer.render(RenderFixtures.spec(.podman, .socketActivated))
        let text = units.service.text
        #expect(text.contains("--publish=127.0.0.1:28080:8080"))
        #expect(text.contains("--publish=127.0.0.1:28443:8443"))
        #expect(!text.contains("--publish=18080"))
        #expect(!text.contains("[Install]"))
        let waits = text.split(separator: "\n").filter { $0.hasPrefix("ExecStartPost=/bin/bash") }
        #expect(waits.count == 2)
        let wait = try SystemdUnquote.argv(String(waits[0].dropFirst("ExecStartPost=".count)))
        #expect(wait == ["/bin/bash", "-c", ContainerUnitRenderer.waitScript, "berth-wait-port", "28080"])
        let proxy = try #require(units.proxies.first { $0.name == "ctr-web@18080.service" })
        #expect(proxy.text.contains("Requires=ctr-web.service ctr-web@18080.socket"))
        #expect(proxy.text.contains("After=ctr-web.service ctr-web@18080.socket"))
        #expect(proxy.text.contains("ExecStart=/lib/systemd/systemd-socket-proxyd --exit-idle-time=600s 127.0.0.1:28080"))
        let socket = try #require(units.sockets.first { $0.name == "ctr-web@18443.socket" })
        #expect(socket.text.contains("ListenStream=18443\nService=ctr-web@18443.service\n"))
        #expect(socket.text.contains("WantedBy=berth-sockets.target"))
    }

    @Test func metadataReadsBack() throws {
        for (runtime, shape) in Self.cases {
            let spec = RenderFixtures.spec(runtime, shape)
            let meta = try ContainerUnitMetadata(unitText: try ContainerUnitRenderer.render(spec).service.text)
            #expect(meta.id == spec.id)
            #expect(meta.image == spec.image)
            #expect(meta.requestId == spec.requestId)
            #expect(meta.ports == spec.ports)
            #expect(meta.shape == shape)
            #expect(meta.runtime == runtime)
            #expect(meta.socketActivation == (shape == .socketActivated ? .proxied : .disabled))
            #expect(!meta.isolated)
        }
        let hostile = RenderFixtures.hostile()
        let meta = try ContainerUnitMetadata(unitText: try ContainerUnitRenderer.render(hostile).service.text)
        #expect(meta.requestId == "100%-sure")
        #expect(meta.id == hostile.id)
        #expect(try ContainerUnitMetadata(unitText: try ContainerUnitRenderer.render(RenderFixtures.isolated(.podman)).service.text).isolated)
    }

    @Test func metadataReadBackRejectsGarbage() {
        #expect(throws: RenderError.self) { try ContainerUnitMetadata(unitText: "[Unit]\nDescription=x\n") }
        #expect(throws: RenderError.self) {
            try ContainerUnitMetadata(unitText: "[X-Berth]\nX-ContainerId=web\nX-ContainerImage=i\nX-PortMapping=80\n")
        }
        #expect(throws: RenderError.self) { try ContainerUnitMetadata(unitText: "[X-Berth]\nX-ContainerId=../x\nX-ContainerImage=i\n") }
        // Metadata-looking lines outside the section are not ours.
        #expect(throws: RenderError.self) { try ContainerUnitMetadata(unitText: "[Service]\nX-ContainerId=web\nX-ContainerImage=i\n") }
    }

    @Test(arguments: [
        ("image", { @Sendable (s: inout ContainerUnitSpec) in s.image = "-v/etc:/x" }),
        ("image", { @Sendable (s: inout ContainerUnitSpec) in s.image = "busybox --privileged" }),
        ("image", { @Sendable (s: inout ContainerUnitSpec) in s.image = "busybox\nExecStart=/bin/sh" }),
        ("image", { @Sendable (s: inout ContainerUnitSpec) in s.image = "" }),
        ("image", { @Sendable (s: inout ContainerUnitSpec) in s.image = "a/../b" }),
        ("volume host path", { @Sendable (s: inout ContainerUnitSpec) in s.volumes = [VolumeMount(hostPath: "rel", containerPath: "/x")] }),
        ("volume host path", { @Sendable (s: inout ContainerUnitSpec) in s.volumes = [VolumeMount(hostPath: "/a:/etc", containerPath: "/x")] }),
        ("volume host path", { @Sendable (s: inout ContainerUnitSpec) in s.volumes = [VolumeMount(hostPath: "/a/../etc", containerPath: "/x")] }),
        ("volume container path", { @Sendable (s: inout ContainerUnitSpec) in s.volumes = [VolumeMount(hostPath: "/a", containerPath: "/x,ro")] }),
        ("volume container path", { @Sendable (s: inout ContainerUnitSpec) in s.volumes = [VolumeMount(hostPath: "/a", containerPath: "/x\ny")] }),
        ("volume container path", { @Sendable (s: inout ContainerUnitSpec) in s.volumes = [VolumeMount(hostPath: "/a", containerPath: "/")] }),
        ("port pair", { @Sendable (s: inout ContainerUnitSpec) in s.ports = [PortPair(internal: 80, external: 0)] }),
        ("port pair", { @Sendable (s: inout ContainerUnitSpec) in s.ports = [PortPair(internal: 80, external: 9000), PortPair(internal: 81, external: 9000)] }),
        ("executable", { @Sendable (s: inout ContainerUnitSpec) in s.runtimePath = "podman" }),
        ("executable", { @Sendable (s: inout ContainerUnitSpec) in s.postStartCommand = ["berthd", "x"] }),
        ("slice", { @Sendable (s: inout ContainerUnitSpec) in s.slice = "berth small.slice" }),
        ("request id", { @Sendable (s: inout ContainerUnitSpec) in s.requestId = "a\nb" }),
        ("docker host", { @Sendable (s: inout ContainerUnitSpec) in s.dockerHost = "unix:///x" }),
        ("socket activation", { @Sendable (s: inout ContainerUnitSpec) in s.shape = .socketActivated }),
        ("environment file path", { @Sendable (s: inout ContainerUnitSpec) in s.environmentFilePath = "env" }),
    ] as [(String, @Sendable (inout ContainerUnitSpec) -> Void)])
    func badInputIsRefusedNamingTheField(_ field: String, _ mutate: @Sendable (inout ContainerUnitSpec) -> Void) {
        var spec = RenderFixtures.spec(.podman, .simple)
        mutate(&spec)
        do {
            _ = try ContainerUnitRenderer.render(spec)
            Issue.record("rendered a bad spec (\(field))")
        } catch {
            #expect(error.field == field)
        }
    }

    @Test func socketActivationNeedsABackendForEveryPort() {
        var spec = RenderFixtures.spec(.podman, .socketActivated)
        spec.socketActivation?.backendPorts = [18080: 28080]
        #expect(throws: RenderError.self) { try ContainerUnitRenderer.render(spec) }
        spec.socketActivation?.backendPorts = [18080: 28080, 18443: 28080]
        #expect(throws: RenderError.self) { try ContainerUnitRenderer.render(spec) }
    }
}

/// The value of the first `key=` line.
func execLine(_ text: String, _ key: String) -> String? {
    text.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
}
