import BerthSystem

/// `SystemdClient` through the `systemctl` CLI: argv arrays via the process runner, an explicit
/// environment (the handle's), a timeout on every call, never a shell.
public struct SystemctlClient: SystemdClient {
    public let handle: ServiceManagerHandle
    public let executable: String
    public let timeout: Duration

    public init(handle: ServiceManagerHandle, executable: String = "/bin/systemctl", timeout: Duration = .seconds(120)) {
        self.handle = handle
        self.executable = executable
        self.timeout = timeout
    }

    public func daemonReload() async throws(SystemdError) { try await run(["daemon-reload"]) }
    public func start(_ unit: String) async throws(SystemdError) { try await run(["start", "--", unit]) }
    public func stop(_ unit: String, wait: Bool) async throws(SystemdError) {
        try await run(wait ? ["stop", "--", unit] : ["stop", "--no-block", "--", unit])
    }
    public func restart(_ unit: String) async throws(SystemdError) { try await run(["restart", "--", unit]) }
    public func resetFailed(_ unit: String) async throws(SystemdError) { try await run(["reset-failed", "--", unit]) }

    public func show(_ units: [String], properties: [String]) async throws(SystemdError) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        let wanted = Set(properties + ["Id"])
        // Bounded argv per call; systemctl answers each unit as one block, in the order asked.
        var start = 0
        while start < units.count {
            let chunk = Array(units[start..<min(units.count, start + 500)])
            start += chunk.count
            // Timestamps in UTC with microseconds (`UnitState.setFacts` reads them), not in local time.
            let output = try await run(["show", "--timestamp=us+utc", "--property=" + wanted.sorted().joined(separator: ","), "--"] + chunk)
            var index = 0
            for block in output.split(separator: "\n\n", omittingEmptySubsequences: false) {
                guard index < chunk.count else { break }
                var values: [String: String] = [:]
                for line in block.split(separator: "\n") {
                    guard let eq = line.firstIndex(of: "=") else { continue }
                    values[String(line[..<eq])] = String(line[line.index(after: eq)...])
                }
                if values.isEmpty { continue }
                result[chunk[index]] = values
                index += 1
            }
        }
        return result
    }

    public func listUnits(matching pattern: String) async throws(SystemdError) -> [UnitListing] {
        // --plain --no-legend: "UNIT LOAD ACTIVE SUB DESCRIPTION..." per line, no bullets.
        let output = try await run(["list-units", "--all", "--plain", "--no-legend", "--full", "--", pattern])
        return output.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true)
            guard columns.count >= 4 else { return nil }
            return UnitListing(name: String(columns[0]), loadState: String(columns[1]),
                               activeState: String(columns[2]), subState: String(columns[3]))
        }
    }

    @discardableResult
    func run(_ arguments: [String]) async throws(SystemdError) -> String {
        let argv = (handle.userScope ? ["--user"] : []) + arguments
        let result: ProcessResult
        do {
            result = try await ProcessRunner.run(ProcessRequest(executable, argv, environment: handle.environment,
                                                                timeout: timeout))
        } catch {
            throw SystemdError("systemctl \(arguments.first ?? ""): \(error)")
        }
        guard result.succeeded else {
            let why = result.timedOut ? "timed out" : "\(result.status)"
            let text = result.stderrText.split(separator: "\n").joined(separator: "; ")
            throw SystemdError("systemctl \(arguments.filter { $0 != "--" }.joined(separator: " ")) \(why): \(text)")
        }
        return result.stdoutText
    }
}
