import BerthProtocol

/// The rules of a mount (`BerthProtocol.VolumeMount`, one type on the wire and in the model) and
/// the runtime's form of it.
extension VolumeMount {
    /// Both paths must be absolute, without `:` or `,` (the runtimes' own separators), control
    /// characters, or `.`/`..`/empty segments; the container path may not be `/`.
    public func validate() throws(RenderError) {
        try VolumeMount.validatePath(hostPath, field: "volume host path")
        try VolumeMount.validatePath(containerPath, field: "volume container path")
        if containerPath == "/" {
            throw RenderError(field: "volume container path", value: containerPath, reason: "may not be the container's root")
        }
    }

    /// The runtime's `--volume=` value: `host:container[:ro]`.
    var runtimeValue: String {
        hostPath + ":" + containerPath + (readOnly ? ":ro" : "")
    }

    static func validatePath(_ path: String, field: String) throws(RenderError) {
        func fail(_ reason: String) -> RenderError { RenderError(field: field, value: path, reason: reason) }
        guard path.utf8.first == UInt8(ascii: "/") else { throw fail("must be an absolute path") }
        if let bad = path.utf8.first(where: { SystemdEscaping.isControl($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ",") }) {
            throw fail(bad < 0x20 || bad == 0x7F ? "may not contain control characters or newlines" : "may not contain ':' or ','")
        }
        if path == "/" { return }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for segment in segments where segment.isEmpty || segment == "." || segment == ".." {
            throw fail("must be normalised (no empty, '.' or '..' segments, no trailing '/')")
        }
    }
}
