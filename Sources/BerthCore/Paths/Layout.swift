import BerthProtocol

/// The roots of every path Berth keeps state in, and every directory and per-container path under
/// them (`ContainerPaths`). Others only join a file name onto one of these directories, so the promise
/// "an identifier can never escape its directory, and removing a container touches only its own
/// paths" is checked in one place (see LayoutTests).
///
/// Three roots, each configurable:
/// - `stateDir` (default `/var/lib/berth`): durable state, survives reboots.
/// - `runDir` (default `/run/berth`): scripts and locks that are recreated at boot.
/// - `unitDir` (default `/etc/systemd/system`): where systemd looks for the units Berth writes.
public struct Layout: Hashable, Sendable {
    public let stateDir: String
    public let runDir: String
    public let unitDir: String
    /// `<unitDir>/berth-active.target.wants`: a container's link here means "started, and start on boot".
    /// Stored: every `container.list` stats it.
    public let startOnBootDir: String

    /// Checks and normalises the roots (trailing slashes dropped). Each must be absolute, free of
    /// `.`/`..`/empty components and of characters that would need quoting in a unit file, and no
    /// root may equal or contain another.
    public init(stateDir: String = "/var/lib/berth", runDir: String = "/run/berth",
                unitDir: String = "/etc/systemd/system") throws(LayoutError) {
        let state = try Layout.checkedRoot(stateDir, name: "stateDir")
        let run = try Layout.checkedRoot(runDir, name: "runDir")
        let unit = try Layout.checkedRoot(unitDir, name: "unitDir")
        let roots = [("stateDir", state), ("runDir", run), ("unitDir", unit)]
        for (i, a) in roots.enumerated() {
            for b in roots[(i + 1)...] where a.1 == b.1 || a.1.hasPrefix(b.1 + "/") || b.1.hasPrefix(a.1 + "/") {
                throw LayoutError(input: a.1, reason: "\(a.0) and \(b.0) may not be the same or nested")
            }
        }
        self.stateDir = state
        self.runDir = run
        self.unitDir = unit
        self.startOnBootDir = "\(unit)/\(Layout.activeTarget).wants"
    }

    /// The defaults: `/var/lib/berth`, `/run/berth`, `/etc/systemd/system`.
    public static let standard = try! Layout()

    // MARK: Shared paths

    /// One directory per container: its record, environment, links and ports.
    public var containersDir: String { "\(stateDir)/containers" }
    /// Home directories of container users (`.ssh/authorized_keys` lives there).
    public var homesDir: String { "\(stateDir)/home" }
    /// Idle flags: a container stopped for being idle, to be woken by its socket.
    public var idleDir: String { "\(stateDir)/idle" }
    /// One file per reserved host port, named by the port (see PortAllocator).
    public var portsDir: String { "\(stateDir)/ports" }
    /// One file per uid claimed for an isolated container (`UIDAllocator`).
    public var uidsDir: String { "\(stateDir)/uids" }
    /// One record per mutation `requestId`, so a retried request returns the first result.
    public var requestsDir: String { "\(stateDir)/requests" }
    /// One directory per container with its log (`ContainerLogFiles`): kept apart from the record
    /// directory, because systemd and conmon write into it while the record stays the node's.
    public var logsDir: String { "\(stateDir)/logs" }
    /// Per-container run directories (init and cmd scripts).
    public var runContainersDir: String { "\(runDir)/containers" }
    /// Lock files (flock); in `runDir` because locks never outlive a boot.
    public var locksDir: String { "\(runDir)/locks" }
    /// Held by the running node for its whole life, so two nodes never share one run directory (nor
    /// the embedded manager beside it).
    public var nodeLock: String { "\(locksDir)/berthd.lock" }

    /// `nodeLock` of the run directory `runDir`, before the whole layout is known: berthd takes the
    /// lock before it opens its service manager, which decides the unit directory.
    public static func nodeLock(runDir: String) throws(LayoutError) -> String {
        "\(try checkedRoot(runDir, name: "runDir"))/locks/berthd.lock"
    }
    /// Serialises maintenance of the ports directory (recovery sweeps).
    public var portsLock: String { "\(locksDir)/ports.lock" }
    /// The target whose wants-directory holds the start-on-boot links.
    public static let activeTarget = "berth-active.target"

    /// A unit file in the manager's unit directory.
    public func unitFile(named name: String) -> String { "\(unitDir)/\(name)" }
    /// A target's wants-directory: a link there to a unit file starts the unit with the target.
    public func wantsDir(of target: String) -> String { "\(unitDir)/\(target).wants" }

    /// The paths of one container.
    public func container(_ id: Identifier) -> ContainerPaths { ContainerPaths(layout: self, id: id) }

    /// The directories `prepare()` creates, with their modes. State that may hold secrets
    /// (environment, request results) is private to the node's user; homes must be traversable by
    /// container users.
    public var sharedDirectories: [(path: String, mode: UInt32)] {
        [(stateDir, 0o755), (containersDir, 0o700), (homesDir, 0o755), (idleDir, 0o755),
         (portsDir, 0o700), (requestsDir, 0o700), (logsDir, 0o700), (runDir, 0o755), (runContainersDir, 0o755),
         (locksDir, 0o700), (unitDir, 0o755), (startOnBootDir, 0o755)]
    }
}

/// Why a layout root or a derived path was refused; the input is the path.
public typealias LayoutError = InvalidInput<Layout>

extension Layout: InvalidInputSubject {
    public static let inputNoun = "path"
}

extension Layout {
    /// Bytes refused in a root: whitespace, controls and everything systemd or a shell would
    /// interpret in a unit file line (`%` specifiers, `$` expansion, quotes, `\` escapes, `;`).
    private static func isForbidden(_ b: UInt8) -> Bool {
        b < 0x21 || b == 0x7F || "\"'\\$%;`".utf8.contains(b)
    }

    static func checkedRoot(_ raw: String, name: String) throws(LayoutError) -> String {
        var path = raw
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard path.hasPrefix("/") else { throw LayoutError(input: raw, reason: "\(name) must be absolute") }
        guard path != "/" else { throw LayoutError(input: raw, reason: "\(name) may not be /") }
        if path.utf8.contains(where: isForbidden) {
            throw LayoutError(input: raw, reason: "\(name) may not contain whitespace, control characters or \"'\\$%;`")
        }
        for part in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        where part.isEmpty || part == "." || part == ".." {
            throw LayoutError(input: raw, reason: "\(name) may not contain empty, '.' or '..' components")
        }
        return path
    }
}
