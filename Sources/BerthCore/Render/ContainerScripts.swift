import BerthProtocol

/// The two scripts an isolated container starts with (geard's container-init and container-cmd),
/// written by the node and mounted read-only into the container (`ContainerIsolation`).
///
/// Both are POSIX sh with every value single-quoted, and they end by `exec`ing an argv: nothing a
/// user supplied is ever parsed by the shell as code. The container already runs as its own
/// unprivileged user with no capabilities (`--user`, `--cap-drop=all`), so unlike geard's init
/// script this one creates no users and chowns nothing (the node prepares volume ownership on the
/// host); it sets up the environment the command expects and hands over.
public enum ContainerScripts {
    /// The init script: sets `HOME`/`USER`/`LOGNAME`, the umask, warns about volumes the user
    /// cannot write, then `exec`s the cmd script.
    public static func initScript(id: Identifier, home: String = "/tmp", writableVolumes: [String] = [],
                                  umask: String = "0022") throws(RenderError) -> String {
        try VolumeMount.validatePath(home, field: "home directory")
        for path in writableVolumes { try VolumeMount.validatePath(path, field: "volume container path") }
        guard umask.utf8.count == 4, umask.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }) else {
            throw RenderError(field: "umask", value: umask, reason: "must be four octal digits")
        }
        let user = try ShellQuoting.quote(ContainerUnitNames.containerName(id))
        var text = """
            #!/bin/sh
            # Rendered by Berth for container \(id.rawValue); berthd rewrites this file.
            set -eu
            HOME=\(try ShellQuoting.quote(home)) USER=\(user) LOGNAME=\(user)
            export HOME USER LOGNAME
            umask \(umask)

            """
        if !writableVolumes.isEmpty {
            let list = try writableVolumes.map { (p) throws(RenderError) in try ShellQuoting.quote(p) }.joined(separator: " ")
            text += """
                for berth_volume in \(list); do
                  [ -w "$berth_volume" ] || echo "berth: volume $berth_volume is not writable by uid $(id -u)" >&2
                done

                """
        }
        text += "exec \(ContainerIsolation.cmdMountPoint) \"$@\"\n"
        return text
    }

    /// The cmd script: `exec` of the container's argv, each word single-quoted. Arguments the init
    /// script passes on (`"$@"`) follow it.
    public static func cmdScript(id: Identifier, argv: [String]) throws(RenderError) -> String {
        guard let first = argv.first, !first.isEmpty else {
            throw RenderError(field: "command", value: "", reason: "an isolated container needs its command (the image's entrypoint and arguments)")
        }
        // Shells disagree on `exec --` (dash refuses it), so a program name that could be read
        // as an option of `exec` is refused instead.
        if first.hasPrefix("-") {
            throw RenderError(field: "command", value: first, reason: "the program may not start with '-'")
        }
        let words = try argv.map { (w) throws(RenderError) in try ShellQuoting.quote(w, field: "command argument") }
        return """
            #!/bin/sh
            # Rendered by Berth for container \(id.rawValue); berthd rewrites this file.
            exec \(words.joined(separator: " ")) "$@"

            """
    }
}
