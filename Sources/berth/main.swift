import BerthAgent
import BerthClient
import BerthSystem

// Everything lives in BerthClient and BerthAgent so the tests can drive the commands; an error
// never escapes main (BerthCLI.main reports every failure and returns an exit status).
let context = CommandContext(environment: ProcessRequest.inheritedEnvironment, output: .standard, commands: BerthAgentCLI.commands)
let status = await BerthCLI.main(Array(CommandLine.arguments.dropFirst()), context: context)
Processes.exit(status.rawValue)
