import BerthProtocol
import Testing
import BerthAgent
@testable import BerthClient

/// The declarative option model: what a command declares is what it parses, documents and completes.
@Suite struct CommandSpecTests {
    /// Every declared option of every command is accepted by the parser and shown by `--help`.
    @Test func everyDeclaredOptionIsParsedAndDocumented() throws {
        for command in BerthAgentCLI.commands {
            let spec = command.spec
            let arguments = spec.arguments.map { _ in "web" }
            for option in spec.allOptions {
                for name in option.names {
                    let line = arguments + [name] + (option.takesValue ? ["v"] : [])
                    let parsed = try spec.parse(line)
                    #expect(option.takesValue ? parsed.value(option.key) == "v" : parsed.flag(option.key), "\(spec.name) \(name)")
                    #expect(command.helpText.contains(name), "\(spec.name) --help shows \(name)")
                }
                if let value = option.valueName { #expect(command.helpText.contains("\(option.key) \(value)")) }
                if option.takesValue {
                    #expect(throws: UsageError("option \(option.key) needs a value")) { try spec.parse(arguments + [option.key]) }
                } else {
                    #expect(throws: UsageError("option \(option.key) takes no value")) { try spec.parse(arguments + [option.key + "=1"]) }
                }
            }
            for argument in spec.arguments { #expect(command.helpText.contains(argument.name), "\(spec.name) \(argument.name)") }
            #expect(throws: UsageError("unknown option --bogus")) { try spec.parse(arguments + ["--bogus"]) }
        }
    }

    /// The help says what --isolate does (ContainerUnitRenderer's isolation arguments), not what it does not.
    @Test func installHelpSaysWhatIsolateDoes() async {
        let help = await runCLI(["install", "--help"])
        #expect(help.code == .success)
        for fact in ["uid of its own", "capability", "no new privileges", "read-only root"] { #expect(help.out.contains(fact), "\(fact)") }
        #expect(!help.out.contains("network namespace"))
    }

    /// One rule for every command: an option that is not repeatable may be given once.
    @Test(arguments: [["ps", "--timeout", "1", "--timeout", "2"], ["events", "--since", "a.1", "--since=a.2"],
                      ["agent", "--keep", "5", "--keep", "6"], ["deploy", "a.json", "--state", "a", "--state", "b"]])
    func aSingleOptionGivenTwiceIsAUsageError(_ arguments: [String]) async {
        let result = await runCLI(arguments)
        #expect(result.code == .usage, "\(arguments)")
        #expect(result.err.contains("given twice") && result.err.contains("USAGE: berth \(arguments[0])"), "\(result.err)")
        #expect(result.out.isEmpty)
    }

    /// Repeatable options keep every value, in order, short and long spellings together.
    @Test func repeatableOptionsKeepEveryValue() throws {
        let parsed = try InstallCommand.spec.parse(["busybox", "web", "-p", "80", "--port=81", "-p82", "--node", "a", "--node", "b"])
        #expect(parsed.values("--port") == ["80", "81", "82"] && parsed.values("--node") == ["a", "b"])
        #expect(parsed.positionals == ["busybox", "web"] && parsed.rest == nil)
        let dashed = try InstallCommand.spec.parse(["busybox", "web", "--", "-x", "--port"])
        #expect(dashed.rest == ["-x", "--port"] && dashed.values("--port").isEmpty)
        // Without a declared rest, words after -- are arguments.
        #expect(try StartCommand.spec.parse(["a", "--", "-b"]).positionals == ["a", "-b"])
    }

    @Test func completionPrintsEachShellsScript() async {
        for (shell, marker) in [("bash", "complete -F _berth berth"), ("zsh", "#compdef berth"), ("fish", "complete -c berth")] {
            let result = await runCLI(["completion", shell])
            #expect(result.code == .success && result.out.contains(marker), "\(shell)")
            // Whole words: `start` inside `restart` must not count.
            let words = Set(result.out.split { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }.map(String.init))
            for command in BerthAgentCLI.commands {
                #expect(words.contains(String(command.name.split(separator: " ").last!)), "\(shell) \(command.name)")
            }
        }
        for bad in [["completion"], ["completion", "tcsh"], ["completion", "bash", "zsh"], ["completion", "bash", "--node", "x"]] {
            let result = await runCLI(bad)
            #expect(result.code == .usage && result.err.contains("USAGE: berth completion SHELL"), "\(bad): \(result.err)")
        }
    }

    /// A table names each node as given: the alias, or the address as typed.
    @Test func psTableNamesNodesAsGiven() {
        let web = ContainerStatus(id: "web", image: "localhost/httpd", state: "active")
        let rows = PsCommand.table(named: [(web, "h1"), (web, "unix:/a.sock")]).render()
        #expect(rows[0].hasSuffix("NODE") && rows[1].hasSuffix("h1") && rows[2].hasSuffix("unix:/a.sock"))
    }
}
