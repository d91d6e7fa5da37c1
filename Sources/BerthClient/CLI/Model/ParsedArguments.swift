/// A command line parsed against its `CommandSpec`: option values by key (the long name), the
/// positional arguments in order, and what came after `--` when the command declares a rest.
public struct ParsedArguments: Sendable {
    var values: [String: [String]] = [:]
    var positionals: [String] = []
    /// After `--`, verbatim; nil when there was no `--` (or the command takes none).
    var rest: [String]?

    /// Whether the flag was given.
    public func flag(_ key: String) -> Bool { values[key] != nil }
    /// The value of a non-repeatable option.
    public func value(_ key: String) -> String? { values[key]?.last }
    /// Every value of a repeatable option, in order.
    public func values(_ key: String) -> [String] { values[key] ?? [] }
}

extension CommandSpec {
    /// Parses the arguments after the command's name, argument-parser style: `--name value`,
    /// `--name=value`, `-p value`, `-p8080:0`, and `--` ending the options. A negative number is
    /// an argument, not an option.
    public func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments {
        let options = allOptions
        var parsed = ParsedArguments()
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                let after = Array(arguments[index...])
                if rest != nil { parsed.rest = after } else { parsed.positionals += after }
                break
            }
            let name: String
            var inline: String?
            if argument.hasPrefix("--") {
                if let eq = argument.firstIndex(of: "=") {
                    name = String(argument[..<eq])
                    inline = String(argument[argument.index(after: eq)...])
                } else {
                    name = argument
                }
            } else if argument.hasPrefix("-"), argument.count > 1, !argument.dropFirst().allSatisfy(\.isNumber) {
                name = String(argument.prefix(2))
                if argument.count > 2 { inline = String(argument.dropFirst(2)) }
            } else {
                parsed.positionals.append(argument)
                continue
            }
            guard let option = options.first(where: { $0.names.contains(name) }) else { throw UsageError("unknown option \(name)") }
            let value: String
            if option.takesValue {
                if let inline {
                    value = inline
                } else {
                    guard index < arguments.endIndex, arguments[index] != "--" else { throw UsageError("option \(name) needs a value") }
                    value = arguments[index]
                    index += 1
                }
                if !option.repeatable, parsed.values[option.key] != nil { throw UsageError("\(option.key) given twice") }
            } else {
                if inline != nil { throw UsageError("option \(name) takes no value") }
                value = ""
            }
            parsed.values[option.key, default: []].append(value)
        }
        try checkCount(parsed.positionals)
        return parsed
    }

    /// Each declared argument present once (a repeatable one at least once), and nothing more.
    private func checkCount(_ positionals: [String]) throws(UsageError) {
        if positionals.count < arguments.count {
            let missing = arguments[positionals.count...].map(\.noun)
            throw UsageError("missing " + missing.joined(separator: " and "))
        }
        if positionals.count > arguments.count, arguments.last?.repeatable != true {
            let hint = rest.map { "; put \($0.name) after --" } ?? ""
            throw UsageError("unexpected argument \(String(reflecting: positionals[arguments.count]))" + hint)
        }
    }
}
