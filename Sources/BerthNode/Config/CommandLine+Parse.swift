/// What berthd's command line asks for.
public enum NodeCommand: Hashable, Sendable {
    case run(NodeConfiguration)
    case help
    case version
    /// `berthd links-apply ...`: a container unit's hook (see `LinkApplyCommand`).
    case linksApply(LinkApplyCommand)
}

extension NodeConfiguration {
    /// The usage line printed with every usage error.
    public static let usage = "usage: berthd [--listen unix:PATH|tcp://ADDR:PORT]... [--config FILE] [--state-dir DIR] [--run-dir DIR] [--secret-file FILE] [OPTIONS] (berthd --help for all)"

    /// Parses berthd's arguments (without argv[0]). `readFile` returns a config file's text, or nil
    /// when it does not exist; the default config file is read only if present, an explicit one must be.
    public static func parse(arguments: [String], readFile: (String) throws -> String?) throws(ConfigurationError) -> NodeCommand {
        if arguments.first == LinkApplyCommand.subcommand {
            return .linksApply(try LinkApplyCommand(parsing: Array(arguments.dropFirst())))
        }
        var flags: [(key: String, value: String)] = []
        var configPath: String?
        var k = 0
        while k < arguments.count {
            let argument = arguments[k]
            k += 1
            if argument == "--help" || argument == "-h" { return .help }
            if argument == "--version" { return .version }
            guard argument.hasPrefix("--") else {
                throw ConfigurationError("unexpected argument '\(argument)' (berthd takes only --flags)")
            }
            var key = String(argument.dropFirst(2))
            var value: String
            if key == "tcp-plain" {
                // The one flag without a value: plain TCP is a switch, and a test-only one.
                flags.append((key, "true"))
                continue
            }
            if let eq = key.firstIndex(of: "=") {
                value = String(key[key.index(after: eq)...])
                key = String(key[..<eq])
            } else {
                guard k < arguments.count else { throw ConfigurationError("--\(key) needs a value") }
                value = arguments[k]
                k += 1
            }
            if key == "config" {
                guard value.hasPrefix("/") else { throw ConfigurationError("--config must be an absolute path, got '\(value)'") }
                configPath = value
                continue
            }
            guard keys.contains(key) else { throw ConfigurationError("unknown option '--\(key)'") }
            flags.append((key, value))
        }

        var configuration = NodeConfiguration()
        let path = configPath ?? defaultConfigFile
        let text: String?
        do {
            text = try readFile(path)
        } catch {
            throw ConfigurationError("cannot read config file \(path): \(error)")
        }
        if let text {
            configuration.configFile = path
            try configuration.apply(configFile: text, path: path)
        } else if configPath != nil {
            throw ConfigurationError("config file \(path) does not exist")
        }
        // Listen addresses and Unix roles given as flags replace the file's rather than adding to them.
        if flags.contains(where: { $0.key == "listen" }) { configuration.listen = [] }
        if flags.contains(where: { $0.key == "unix-role" }) { configuration.unixRoles = [] }
        for (key, value) in flags { try configuration.set(key, value) }
        try configuration.validate()
        return .run(configuration)
    }

    /// Applies a config file: `key = value` lines with the flag names as keys, `#` comments, blank lines.
    public mutating func apply(configFile text: String, path: String) throws(ConfigurationError) {
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw ConfigurationError("\(path):\(number + 1): expected 'key = value', got '\(line)'")
            }
            let key = line[..<eq].trimmingBlanks()
            let value = line[line.index(after: eq)...].trimmingBlanks()
            guard NodeConfiguration.keys.contains(key) else {
                throw ConfigurationError("\(path):\(number + 1): unknown key '\(key)'")
            }
            do {
                try set(key, value)
            } catch {
                throw ConfigurationError("\(path):\(number + 1): \(error.message)")
            }
        }
    }
}

extension Substring {
    func trimmingBlanks() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }
}
