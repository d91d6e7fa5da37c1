import Foundation
import Testing
@testable import BerthCore

@Suite final class ContainerScriptsTests {
    /// Each test gets its own instance, so its own directory, removed when it ends.
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-scripts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    static let hostile = [
        "plain", "", " ", "it's", "'", "''", "\"", "\\", "$HOME", "$(id)", "`id`", "; rm -rf /", "a\nb", "\t",
        "*", "?", "[a]", "~", "-n", "--", "!x", "%s", "é 漢字", "\u{1B}[0m", "'\\''",
    ]

    @Test func goldenScripts() throws {
        let id = try Identifier("web")
        try Golden.check(try ContainerScripts.initScript(id: id, home: "/tmp", writableVolumes: ["/var/www", "/data/it's"]),
                         "scripts/container-init.sh")
        try Golden.check(try ContainerScripts.cmdScript(id: id, argv: ["httpd", "-f", "-p", "8080", "-h", "/var/www"]),
                         "scripts/container-cmd.sh")
        try Golden.check(try ContainerScripts.cmdScript(id: id, argv: ["/usr/bin/printf", "%s\\000"] + Self.hostile),
                         "scripts/hostile-cmd.sh")
    }

    /// Runs the rendered cmd script with /bin/sh; printf prints each argument NUL-terminated, so the
    /// output must be exactly the hostile arguments.
    @Test func cmdScriptPassesHostileArgvExactly() throws {
        let script = try ContainerScripts.cmdScript(id: try Identifier("web"), argv: ["/usr/bin/printf", "%s\\000"] + Self.hostile)
        let output = try run(["/bin/sh", try write(script)], extra: ["passed", "on 'too'"])
        let expected = (Self.hostile + ["passed", "on 'too'"]).map { $0 + "\u{0}" }.joined()
        #expect(output == Array(expected.utf8))
    }

    /// A `'` followed by a combining mark is one Swift Character that is not `'`: quoting by Character
    /// left it unescaped, the quote closed early and the rest of the argument ran as shell code.
    @Test func quoteFollowedByACombiningMarkStaysInItsWord() throws {
        let word = "it'\u{301}s; echo injected #"
        let script = try ContainerScripts.cmdScript(id: try Identifier("web"), argv: ["/usr/bin/printf", "%s\\000", word])
        let output = try run(["/bin/sh", try write(script)], extra: [])
        #expect(output == Array((word + "\u{0}").utf8))
    }

    /// The init script hands its arguments to the cmd script, with the environment it set.
    @Test func initScriptExecsTheCmdScript() throws {
        let initScript = try ContainerScripts.initScript(id: try Identifier("web"), home: "/home/it's $x")
        // The init script execs the fixed in-container path; point it at a file of ours instead.
        let cmd = try write("#!/bin/sh\nprintf '%s\\0' \"$HOME\" \"$USER\" \"$(umask)\" \"$@\"\n")
        _ = try run(["/bin/chmod", "755", cmd], extra: [])
        let patched = initScript.replacing(ContainerIsolation.cmdMountPoint, with: cmd)
        let output = try run(["/bin/sh", try write(patched)], extra: ["a b", "$(id)"])
        #expect(output == Array("/home/it's $x\u{0}ctr-web\u{0}0022\u{0}a b\u{0}$(id)\u{0}".utf8))
    }

    @Test func badScriptInputIsRefused() throws {
        let id = try Identifier("web")
        #expect(throws: RenderError.self) { try ContainerScripts.cmdScript(id: id, argv: []) }
        #expect(throws: RenderError.self) { try ContainerScripts.cmdScript(id: id, argv: ["-x"]) }
        #expect(throws: RenderError.self) { try ContainerScripts.cmdScript(id: id, argv: ["sh", "a\u{0}b"]) }
        #expect(throws: RenderError.self) { try ContainerScripts.initScript(id: id, home: "relative") }
        #expect(throws: RenderError.self) { try ContainerScripts.initScript(id: id, writableVolumes: ["/a\nb"]) }
        #expect(throws: RenderError.self) { try ContainerScripts.initScript(id: id, umask: "0;rm") }
    }

    private func write(_ text: String) throws -> String {
        let path = directory.appendingPathComponent("script-\(UUID().uuidString)").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Test-only: Foundation.Process is fine here (never in product code).
    private func run(_ argv: [String], extra: [String]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst()) + extra
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return Array(data)
    }
}
