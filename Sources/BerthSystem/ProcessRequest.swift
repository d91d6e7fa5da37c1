#if canImport(Glibc)
import Glibc
#endif

/// What to run: a program, its arguments (never through a shell) and everything it may see.
public struct ProcessRequest: Hashable, Sendable {
    /// A path, or a bare name looked up in the request's own `PATH` (else the node's, else
    /// `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`).
    public var executable: String
    /// The arguments after argv[0] (which is `executable` as given).
    public var arguments: [String]
    /// The child's whole environment: nothing is inherited unless put here (see `inheritedEnvironment`).
    public var environment: [String: String]
    /// The directory the child starts in; nil keeps the caller's.
    public var workingDirectory: String?
    /// Bytes fed to the child's standard input, which is then closed; nil gives it /dev/null.
    public var standardInput: [UInt8]?
    /// The most bytes kept of standard output and of standard error, each; the rest is read and
    /// dropped (so the child never blocks on a full pipe) and the result says `truncated`.
    public var outputLimit: Int
    /// How long the child may run before it gets SIGTERM; nil for no limit.
    public var timeout: Duration?
    /// How long after SIGTERM the child (and its process group) gets SIGKILL.
    public var terminationGracePeriod: Duration
    /// Starts the child in a process group of its own, so a timeout also stops what it started.
    public var newProcessGroup: Bool

    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
                workingDirectory: String? = nil, standardInput: [UInt8]? = nil, outputLimit: Int = 4 << 20,
                timeout: Duration? = nil, terminationGracePeriod: Duration = .seconds(5), newProcessGroup: Bool = true) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.standardInput = standardInput
        self.outputLimit = outputLimit
        self.timeout = timeout
        self.terminationGracePeriod = terminationGracePeriod
        self.newProcessGroup = newProcessGroup
    }

    /// This process's environment, for requests that should pass it on deliberately.
    public static var inheritedEnvironment: [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }

    /// Throws naming the first argument, variable or path a C string cannot carry.
    func validate() throws {
        func fail(_ what: String) -> ProcessRunnerError { ProcessRunnerError("cannot run \(executable): \(what)") }
        if executable.isEmpty { throw ProcessRunnerError("cannot run a process without an executable") }
        if executable.utf8.contains(0) { throw fail("the executable path contains a NUL byte") }
        for (index, argument) in arguments.enumerated() where argument.utf8.contains(0) {
            throw fail("argument \(index + 1) contains a NUL byte")
        }
        for (name, value) in environment {
            if name.isEmpty || name.contains("=") || name.utf8.contains(0) {
                throw fail("invalid environment variable name \(name.debugDescription)")
            }
            if value.utf8.contains(0) { throw fail("environment variable \(name) contains a NUL byte") }
        }
        if let dir = workingDirectory, dir.isEmpty || dir.utf8.contains(0) {
            throw fail("invalid working directory \(dir.debugDescription)")
        }
        if outputLimit < 0 { throw fail("the output limit must not be negative") }
    }

    /// The executable's path: as given when it contains a slash, else the first executable match in PATH.
    func resolvedExecutable() throws -> String {
        if executable.contains("/") { return executable }
        let path = environment["PATH"] ?? ExecutableSearch.processPath
        guard let found = ExecutableSearch.find(executable, in: path) else {
            throw ProcessRunnerError("cannot run \(executable): not found in PATH (\(path))")
        }
        return found
    }
}

/// A process could not be started as asked; the message names what was wrong.
public struct ProcessRunnerError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
