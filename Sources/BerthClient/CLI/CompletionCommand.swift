/// `berth completion SHELL`: prints the shell's completion script, generated from the commands' specs.
public struct CompletionCommand: BerthCommand {
    public static let spec = CommandSpec(
        "completion", abstract: "Print the shell completion script for bash, zsh or fish.",
        arguments: [ArgumentSpec("SHELL", completion: .words(CompletionShell.allCases.map(\.rawValue)), help: "bash, zsh or fish")],
        nodeOptions: false,
        discussion: """
            bash:  source <(berth completion bash)            (in ~/.bashrc)
            zsh:   source <(berth completion zsh)             (in ~/.zshrc, after compinit), or save it as
                   _berth in a directory of $fpath
            fish:  berth completion fish > ~/.config/fish/completions/berth.fish
            """)
    var shell: CompletionShell

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        let name = parsed.positionals[0]
        guard let shell = CompletionShell(rawValue: name) else {
            throw UsageError("unknown shell \(String(reflecting: name)): expected bash, zsh or fish")
        }
        self.shell = shell
    }

    public func validate() throws(UsageError) {}

    public func run(_ context: CommandContext) async -> ExitCode {
        let specs = context.commands.map { $0.spec }
        context.output.print(shell.script(CompletionTable(specs)))
        return .success
    }
}
