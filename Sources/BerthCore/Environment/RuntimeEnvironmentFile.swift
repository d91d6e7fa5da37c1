import BerthSystem

/// A container's stored environment, in the format the container runtime reads with `--env-file`:
/// one `NAME=VALUE` line per variable, the value taken literally up to the end of its line.
///
/// This is how the variables reach the container without ever entering the runtime's own process
/// environment: podman and the docker CLI parse the file themselves and hand the values to the
/// container, so a variable named `PATH`, `LD_PRELOAD`, `CONTAINER_HOST` or `TMPDIR` changes nothing
/// about how the runtime runs. Both parsers (podman 4's `pkg/env.ParseFile`, the docker CLI's
/// `kvfile`) read a line with Go's `bufio.Scanner`: leading blanks are dropped (names start a line,
/// so nothing is lost), a line starting with `#` is a comment, the first `=` ends the name, and the
/// rest of the line is the value, quotes, `$`, `%`, backslashes and blanks included. What the format
/// cannot carry is a line break, which is why `EnvironmentVariable.validate` refuses `\n` and `\r`
/// in values; a line of the longest name and value (1024 bytes, 8192 characters of up to four bytes)
/// stays below the scanners' 64 KiB.
///
/// The file starts with `header`, a comment both runtimes skip; a file without it was written in
/// systemd's `EnvironmentFile=` syntax (`EnvironmentFile`) and is read with that parser instead.
public enum RuntimeEnvironmentFile {
    /// The first line of every file this type writes.
    public static let header = "# berth environment: NAME=VALUE per line, read by the runtime's --env-file"

    /// The largest file read. A valid environment renders to its header and then one `NAME=VALUE\n`
    /// per variable, which is exactly what the variable adds to `Environment.byteCount`: at most
    /// `Environment.maxBytes` after the header, so whatever the node wrote, it reads back. Files an
    /// older node wrote in systemd's syntax are read up to that parser's own bound.
    public static let maxBytes = max(header.utf8.count + 1 + Environment.maxBytes, EnvironmentFile.maxBytes)

    /// The file's text. Every variable is valid (an `Environment` holds no other), so no value holds a
    /// line break and every line reads back as written.
    public static func render(_ environment: Environment) -> String {
        var out = header + "\n"
        for variable in environment.variables {
            out += variable.name
            out += "="
            out += variable.value
            out += "\n"
        }
        return out
    }

    /// Parses a file: this format when it starts with `header`, otherwise systemd's syntax.
    public static func parse(bytes: [UInt8]) throws(EnvironmentError) -> Environment {
        guard bytes.count <= maxBytes else { throw EnvironmentError(reason: "larger than \(maxBytes) bytes") }
        let headerBytes = Array(header.utf8)
        guard bytes.starts(with: headerBytes + [0x0A]) else { return try EnvironmentFile.parse(bytes: bytes) }
        var environment = Environment()
        var lineNumber = 1
        for line in bytes[(headerBytes.count + 1)...].split(separator: 0x0A, omittingEmptySubsequences: true) {
            lineNumber += 1
            guard let eq = line.firstIndex(of: 0x3D) else {
                throw EnvironmentError(line: lineNumber, reason: "expected NAME=VALUE")
            }
            guard let name = String(validating: line[line.startIndex..<eq], as: UTF8.self),
                  let value = String(validating: line[(eq + 1)...], as: UTF8.self) else {
                throw EnvironmentError(line: lineNumber, reason: "not UTF-8")
            }
            do { try environment.set(EnvironmentVariable(name: name, value: value)) } catch {
                throw EnvironmentError(line: lineNumber, reason: error.reason)
            }
        }
        return environment
    }

    /// Reads and parses the file at `path`.
    public static func read(from path: String) throws -> Environment {
        try parse(bytes: FileSystem.read(path, limit: maxBytes))
    }

    /// Writes `environment` to `path` atomically, readable by the owner only (values may be secrets).
    public static func write(_ environment: Environment, to path: String) throws {
        try FileSystem.writeAtomically(Array(render(environment).utf8), to: path, mode: 0o600)
    }
}
