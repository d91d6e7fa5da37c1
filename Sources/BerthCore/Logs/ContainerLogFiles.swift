/// The files of one container's log, in its own directory, and how big they may grow.
///
/// - `container.log`: the container's stdout and stderr as conmon writes them with podman's
///   `k8s-file` log driver: `TIME STREAM F|P TEXT`, one record per line (`P`: a part of a longer
///   line). conmon bounds it itself (`max-size`): when the next record would pass the bound it
///   starts the file afresh (write a new file, rename it over the old).
/// - `unit.log`: the unit's own stdout and stderr (`StandardOutput=append:`): what the runtime CLI,
///   the links hook and the unit's other commands print, such as podman's "image not known".
///   Berth's marker lines (`TIME systemd F starting`, `... stopped: result exit-code ...`) give the
///   lines after them their time. The node keeps it bounded (`ContainerLogFiles.compact`).
///
/// Both live under the state directory, so they outlive the container's `--rm` and a node restart;
/// the directory goes when the container is deleted.
public struct ContainerLogFiles: Hashable, Sendable {
    public let directory: String
    public init(directory: String) { self.directory = directory }

    public var containerLog: String { "\(directory)/container.log" }
    public var unitLog: String { "\(directory)/unit.log" }

    /// The default bound of each file: 8 MiB (about 100,000 lines of 80 bytes).
    public static let defaultMaxBytes: Int64 = 8 << 20
    /// The smallest bound accepted (conmon keeps at least one record per file anyway).
    public static let minimumMaxBytes: Int64 = 64 << 10
}

/// What the renderer needs to send a unit's output to its log (`ContainerLogFiles`).
public struct ContainerLogSpec: Hashable, Sendable {
    public var files: ContainerLogFiles
    /// The bound of `container.log`, handed to conmon (`--log-opt=max-size=`).
    public var maxBytes: Int64
    public init(files: ContainerLogFiles, maxBytes: Int64 = ContainerLogFiles.defaultMaxBytes) {
        self.files = files
        self.maxBytes = maxBytes
    }
}
