import Foundation
import Testing
@testable import BerthCore

/// The real check: systemd itself reads a file our writer produced and hands a process exactly the
/// values we wrote. Runs the private manager from Scripts/lib/manager.sh (needs root).
@Suite(.serialized) struct EnvironmentSystemdTests {
    @Test(.enabled(if: TestSupport.canRunSystemdManager, "needs root and /lib/systemd/systemd"),
          .timeLimit(.minutes(2)))
    func systemdReadsTheWrittenFileByteExact() throws {
        let tmp = try TemporaryDirectory("berth-envcheck")
        defer { tmp.remove() }
        var vars = hostileValues.enumerated().map { EnvironmentVariable(name: "BERTH_V\($0.offset)", value: $0.element) }
        vars.append(EnvironmentVariable(name: "BERTH_MAX", value: String(repeating: "$\\\"'", count: EnvironmentVariable.maxValueBytes / 4)))
        let environment = try Environment(vars)
        let envFile = tmp.path + "/environment"
        let output = tmp.path + "/out.env"
        try EnvironmentFile.write(environment, to: envFile)

        let unit = """
            [Unit]
            Description=Berth env-file check
            [Service]
            Type=oneshot
            EnvironmentFile=\(envFile)
            ExecStart=/usr/bin/env -0
            StandardOutput=file:\(output)
            """
        let script = """
            set -eu
            source "$1/Scripts/lib/manager.sh"
            trap manager_stop EXIT
            manager_start "$2/manager"
            printf '%s\\n' "$3" > "$MANAGER_UNITS/berth-envcheck.service"
            manager_systemctl daemon-reload
            manager_systemctl start berth-envcheck.service
            manager_systemctl show -p Result --value berth-envcheck.service
            """
        let result = try TestSupport.run("/bin/bash", ["-c", script, "berth-envcheck", TestSupport.repoRoot(), tmp.path, unit])
        #expect(result.status == 0, "manager script failed: \(result.stderr)")
        #expect(result.stdout.contains("success"), "\(result.stdout) \(result.stderr)")

        let dump = try Data(contentsOf: URL(fileURLWithPath: output))
        var seen: [String: String] = [:]
        for entry in dump.split(separator: 0, omittingEmptySubsequences: false) where !entry.isEmpty {
            let text = String(decoding: entry, as: UTF8.self)
            guard let eq = text.firstIndex(of: "=") else { continue }
            seen[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        for variable in environment.variables {
            let got = seen[variable.name]
            #expect(got.map { Array($0.utf8) } == Array(variable.value.utf8),
                    "\(variable.name): wrote \(String(reflecting: variable.value)), systemd gave \(String(reflecting: got))")
        }
    }
}
