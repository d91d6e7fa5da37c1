import BerthCore
import BerthSystem

/// Finds the PID of a running container's first process through its runtime
/// (`podman|docker inspect --type container -f '{{.State.Pid}}' NAME`): the process whose network
/// namespace the links go into.
public struct ContainerProcessLookup: Sendable {
    public var runtime: ContainerRuntime
    /// The runtime CLI: a path, or a name looked up in `environment["PATH"]`.
    public var executable: String
    /// The CLI's whole environment (`PATH`, and `CONTAINERS_CONF` or `DOCKER_HOST` as configured).
    public var environment: [String: String]
    public var timeout: Duration

    public init(runtime: ContainerRuntime, executable: String? = nil,
                environment: [String: String] = LinkApplier.defaultEnvironment, timeout: Duration = .seconds(15)) {
        self.runtime = runtime
        self.executable = executable ?? runtime.rawValue
        self.environment = environment
        self.timeout = timeout
    }

    /// The PID of the running container `name`; `noProcess` when it does not exist or is not running.
    public func pid(ofContainer name: String) async throws(LinkError) -> Int32 {
        guard ContainerProcessLookup.isValidName(name) else {
            throw LinkError(.invalid, "\(String(reflecting: name)) is not a container name")
        }
        let argv = ["inspect", "--type", "container", "--format", "{{.State.Pid}}", name]
        let result: ProcessResult
        do {
            result = try await ProcessRunner.run(ProcessRequest(executable, argv, environment: environment,
                                                                outputLimit: 64 << 10, timeout: timeout))
        } catch {
            throw LinkError(.toolFailed, "cannot run \(executable) inspect: \(error)")
        }
        guard result.succeeded else {
            throw LinkError(.noProcess, "\(executable) inspect \(name) \(result.timedOut ? "timed out" : String(describing: result.status))",
                            stderr: result.stderrText.trimmedLines)
        }
        let text = result.stdoutText.trimmedLines
        guard let pid = Int32(text) else {
            throw LinkError(.toolFailed, "\(executable) inspect \(name) printed \(String(reflecting: text)), not a PID")
        }
        guard pid > 0 else { throw LinkError(.noProcess, "container \(name) is not running") }
        return pid
    }

    /// podman's and docker's name rule (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`): also keeps a name from being
    /// read as an option.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 253 else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) }
        return alnum(first) && name.utf8.allSatisfy { alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }
}

extension String {
    /// Without leading and trailing blanks and newlines.
    var trimmedLines: String {
        let bytes = Array(utf8)
        func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        guard let start = bytes.firstIndex(where: { !blank($0) }), let end = bytes.lastIndex(where: { !blank($0) }) else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
