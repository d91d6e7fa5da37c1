/// Splits a command line into options, their values and positionals, argument-parser style:
/// `--name value`, `--name=value`, `-p value`, `-p8080:0`, and `--` ending the options.
struct ArgumentScanner {
    enum Token: Hashable {
        case option(String)
        case positional(String)
        /// Everything after `--`, verbatim.
        case rest([String])
    }

    private var arguments: ArraySlice<String>
    private var inlineValue: String?
    private var lastOption = ""

    init(_ arguments: [String]) { self.arguments = arguments[...] }

    mutating func next() -> Token? {
        inlineValue = nil
        guard let argument = arguments.popFirst() else { return nil }
        if argument == "--" {
            defer { arguments = [] }
            return .rest(Array(arguments))
        }
        if argument.hasPrefix("--") {
            if let eq = argument.firstIndex(of: "=") {
                inlineValue = String(argument[argument.index(after: eq)...])
                lastOption = String(argument[..<eq])
            } else {
                lastOption = argument
            }
            return .option(lastOption)
        }
        if argument.hasPrefix("-"), argument.count > 1, !argument.dropFirst().allSatisfy(\.isNumber) {
            lastOption = String(argument.prefix(2))
            if argument.count > 2 { inlineValue = String(argument.dropFirst(2)) }
            return .option(lastOption)
        }
        return .positional(argument)
    }

    /// The value of the option just returned by `next()`.
    mutating func value() throws(UsageError) -> String {
        if let inlineValue {
            self.inlineValue = nil
            return inlineValue
        }
        guard let value = arguments.first, value != "--" else { throw UsageError("option \(lastOption) needs a value") }
        arguments.removeFirst()
        return value
    }

    /// Refuses `--flag=value` for an option that takes no value.
    func flag() throws(UsageError) -> Bool {
        if inlineValue != nil { throw UsageError("option \(lastOption) takes no value") }
        return true
    }
}

extension ArgumentScanner {
    /// A non-empty option value (a path).
    mutating func path() throws(UsageError) -> String {
        let value = try value()
        guard !value.isEmpty else { throw UsageError("option \(lastOption) needs a path") }
        return value
    }

    /// The loop of commands that take options only (no global options, no positionals): `consume`
    /// takes each option (false: unknown option), anything else is an unexpected argument.
    static func optionsOnly(_ arguments: [String],
                            _ consume: (String, inout ArgumentScanner) throws(UsageError) -> Bool) throws(UsageError) {
        var scanner = ArgumentScanner(arguments)
        while let token = scanner.next() {
            switch token {
            case .option(let name):
                if try consume(name, &scanner) { continue }
                throw UsageError("unknown option \(name)")
            case .positional(let value): throw UsageError("unexpected argument \(String(reflecting: value))")
            case .rest(let values):
                if let value = values.first { throw UsageError("unexpected argument \(String(reflecting: value))") }
            }
        }
    }

    /// The loop of commands that take positionals: the global options, then `extra` for the
    /// command's own (true when it took the option; anything else is "unknown option"), and every
    /// positional, those after `--` included, in order.
    static func positionals(_ arguments: [String], options: inout GlobalOptions,
                            extra: (String, inout ArgumentScanner) throws(UsageError) -> Bool = { _, _ in false })
        throws(UsageError) -> [String] {
        var positionals: [String] = []
        var scanner = ArgumentScanner(arguments)
        while let token = scanner.next() {
            switch token {
            case .option(let name):
                if try options.consume(name, &scanner) { continue }
                if try extra(name, &scanner) { continue }
                throw UsageError("unknown option \(name)")
            case .positional(let value): positionals.append(value)
            case .rest(let values): positionals += values
            }
        }
        return positionals
    }
}
