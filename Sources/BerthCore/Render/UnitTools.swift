/// The helper programs a container's units run besides the runtime CLI, as absolute paths.
///
/// systemd runs `Exec*=` lines with its own `PATH` (and a relative name only from systemd 239 on,
/// searched in systemd's fixed list), so the node resolves each program once when it starts
/// (`RuntimeConfiguration.resolve`) and renders exactly the file it checked. The defaults are
/// Debian's paths, for tests and golden files.
public struct UnitTools: Hashable, Sendable {
    /// `rm`: podman's notify shape removes its stale cidfile (`ExecStartPre=`).
    public var remove: String
    /// `bash`: socket activation's port wait (`ExecStartPost=`, `/dev/tcp`).
    public var shell: String
    /// `env`: the links hook starts through `env -i` with the node's runtime environment only.
    public var env: String
    /// `systemd-socket-proxyd`: the proxy of socket-activated containers (the one place its path is
    /// kept; `SocketActivation` holds only what differs per container).
    public var socketProxy: String

    public init(remove: String = "/bin/rm", shell: String = "/bin/bash", env: String = "/usr/bin/env",
                socketProxy: String = UnitTools.defaultSocketProxy) {
        self.remove = remove
        self.shell = shell
        self.env = env
        self.socketProxy = socketProxy
    }

    public static let defaultSocketProxy = "/lib/systemd/systemd-socket-proxyd"
}
