import BerthCore
import BerthProtocol

/// `berth env ID [--set K=V]... [--unset K]...`
public struct EnvCommand: BerthCommand {
    public static let spec = CommandSpec(
        "env", abstract: "Show a container's environment, or set and unset variables.", arguments: [IDArguments.id()],
        options: [
            OptionSpec("-e", "--set", value: "NAME=VALUE", repeatable: true, help: "set a variable (repeatable); takes effect on the next start"),
            OptionSpec("-u", "--unset", value: "NAME", repeatable: true, help: "remove a variable (repeatable)"),
        ],
        discussion: """
            Without --set or --unset, prints the environment as NAME=VALUE lines (values with control
            characters are shown quoted and escaped).
            """)
    var arguments: IDArguments
    var set: [EnvironmentEntry] = []
    var unset: [String] = []

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        arguments = try IDArguments(parsed)
        let unset = parsed.values("--unset")
        for line in parsed.values("--set") {
            do { self.set.append(try EnvironmentVariable(line: line).wire) } catch { throw UsageError("--set \(String(reflecting: line)): \(error.description)") }
        }
        for name in unset where !EnvironmentVariable.isValidName(name) {
            throw UsageError("--unset \(String(reflecting: name)): not a valid variable name")
        }
        self.unset = unset
    }

    public func validate() throws(UsageError) {
        try arguments.validate()
        if let both = Set(set.map(\.name)).intersection(unset).sorted().first {
            throw UsageError("\(both) is both set and unset")
        }
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let id = arguments.locators[0].id
        let patch = set.isEmpty && unset.isEmpty ? nil
            : ContainerEnvPatchParams(id: id, set: set.isEmpty ? nil : set, unset: unset.isEmpty ? nil : unset)
        let call = if let patch { PlannedCall(.containerEnvPatch, params: encodeParams(patch)) }
            else { PlannedCall(.containerEnvGet, params: encodeParams(ContainerRefParams(id: id))) }
        return await context.runOnNodes(arguments.options, locators: arguments.locators, plan: { _ in [call] }, render: { value, _, node in
            let result = try JSONValueDecoder().decode(ContainerEnvResult.self, from: value)
            var lines = node.map { ["# \($0.address)"] } ?? []
            if let source = result.environmentSource { lines.append("# source: \(source)") }
            lines += result.environment.map { "\($0.name)=\(EnvCommand.display($0.value))" }
            return lines
        })
    }

    /// The value as is, or quoted and escaped when a terminal or a line-based reader would misread it.
    static func display(_ value: String) -> String {
        value.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } ? String(reflecting: value) : value
    }
}
