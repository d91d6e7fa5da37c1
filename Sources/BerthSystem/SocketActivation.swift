#if canImport(Glibc)
import Glibc
#endif

/// A descriptor systemd passed to the process (socket activation), with its `FileDescriptorName=`.
public struct ActivatedDescriptor: Hashable, Sendable {
    public let descriptor: FileDescriptor
    /// The name from LISTEN_FDNAMES; "unknown" when systemd gave none (its own default).
    public let name: String

    public init(descriptor: FileDescriptor, name: String) {
        self.descriptor = descriptor
        self.name = name
    }
}

/// systemd socket activation: the sockets a `.socket` unit opened, inherited from descriptor 3 on.
public enum SocketActivation {
    public static let firstDescriptor: CInt = 3

    /// The descriptors passed with LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES: empty when the variables are
    /// unset or meant for another process. Each is made close-on-exec, and the variables are unset so
    /// children do not believe the sockets are theirs. Call once, at startup, before other threads
    /// read the environment (unsetenv is not thread-safe).
    public static func takeDescriptors() throws -> [ActivatedDescriptor] {
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        return try descriptors(listenPID: variable("LISTEN_PID"), listenFDs: variable("LISTEN_FDS"),
                               listenFDNames: variable("LISTEN_FDNAMES"), processID: getpid(),
                               first: firstDescriptor)
    }

    /// The parsing and checking of `takeDescriptors`, apart from the process environment.
    static func descriptors(listenPID: String?, listenFDs: String?, listenFDNames: String?,
                            processID: pid_t, first: CInt) throws -> [ActivatedDescriptor] {
        guard let listenPID, let listenFDs else { return [] }
        guard let pid = pid_t(listenPID), pid > 0 else {
            throw SocketError(.invalidAddress, "LISTEN_PID=\(listenPID) is not a process id")
        }
        guard pid == processID else { return [] }
        guard let count = CInt(listenFDs), count >= 0, count <= 4096 else {
            throw SocketError(.invalidAddress, "LISTEN_FDS=\(listenFDs) is not a descriptor count")
        }
        let names = listenFDNames.map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) } ?? []
        var result: [ActivatedDescriptor] = []
        for index in 0..<Int(count) {
            let descriptor = FileDescriptor(rawValue: first + CInt(index))
            do {
                try descriptor.setCloseOnExec(true)
            } catch let error as SystemError {
                throw SystemError("fcntl (LISTEN_FDS descriptor \(descriptor.rawValue))", errno: error.errno)
            }
            let name = index < names.count && !names[index].isEmpty ? names[index] : "unknown"
            result.append(ActivatedDescriptor(descriptor: descriptor, name: name))
        }
        return result
    }
}
