// Drives ContainerEngine from a process of its own, so crash tests can SIGKILL it at any moment.
//
//   berth-enginetool install-stream MANAGER_DIR STATE_DIR RUN_DIR PORT_LOW PORT_HIGH COUNT PREFIX
//
// Opens the engine (recovery included) on the embedded manager in MANAGER_DIR, then installs
// PREFIX-0 ... PREFIX-(COUNT-1) one after another (image localhost/busybox:latest, one allocated
// port, requestId "req-<id>"), printing "ack <id> <port>" after each acknowledged install.
// SIGTERM is ignored: the test's timeout then ends it with SIGKILL, like kill -9.
#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthNode
import BerthProtocol

signal(SIGTERM, SIG_IGN)

/// Unbuffered, so every line printed is in the pipe before the next install begins.
func say(_ text: String, fd: CInt = STDOUT_FILENO) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

let args = CommandLine.arguments
guard args.count == 9, args[1] == "install-stream", let low = UInt16(args[5]), let high = UInt16(args[6]),
      let count = Int(args[7]) else {
    say("usage: berth-enginetool install-stream MANAGER_DIR STATE_DIR RUN_DIR PORT_LOW PORT_HIGH COUNT PREFIX", fd: STDERR_FILENO)
    exit(64)
}
let handle = EmbeddedManager.handle(directory: args[2])
do {
    let layout = try Layout(stateDir: args[3], runDir: args[4], unitDir: handle.unitDir)
    let engine = ContainerEngine(
        configuration: EngineConfiguration(layout: layout, manager: handle, runtime: RuntimeConfiguration(runtime: .podman),
                                           portRange: low...high),
        systemd: (getenv("BERTH_SYSTEMD_CLIENT").flatMap { SystemdClientKind(rawValue: String(cString: $0)) } ?? .dbus)
            .client(for: handle))
    try await engine.open()
    say("opened")
    for i in 0..<count {
        let id = "\(args[8])-\(i)"
        let status = try await engine.install(ContainerInstallParams(
            id: id, image: "localhost/busybox:latest", command: ["sleep", "1000"],
            ports: [PortMapping(internal: 80, external: 0)], requestId: "req-\(id)"))
        say("ack \(id) \(status.ports.first?.external ?? 0)")
    }
} catch {
    say("berth-enginetool: \(error)", fd: STDERR_FILENO)
    exit(1)
}
