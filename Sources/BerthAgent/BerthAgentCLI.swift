import BerthClient

/// The commands of `berth agent`, which the `berth` executable adds to the client's.
public enum BerthAgentCLI {
    /// Every command `berth` knows: the client's and the agent's, in the order of the command list.
    public static let commands: [any BerthCommand.Type] = BerthCLI.commands(adding: [AgentStatusCommand.self, AgentCommand.self])
}
