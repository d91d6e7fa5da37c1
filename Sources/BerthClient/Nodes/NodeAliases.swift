import BerthCore
import BerthSystem

/// One alias of the node config file is the node it names: `NodeTarget` with the alias as its name
/// (its own secret file, and the host other nodes' containers reach it by).
public typealias NodeAlias = NodeTarget

/// The node config file (`$BERTH_CONFIG`, else `$XDG_CONFIG_HOME/berth/nodes`, else
/// `~/.config/berth/nodes`): one alias a line, `NAME = ADDRESS [secret-file=PATH] [host=ADDR]`;
/// `#` starts a comment line. Every error names the file and line.
public struct NodeAliases: Hashable, Sendable {
    public private(set) var aliases: [String: NodeAlias] = [:]
    /// Where the aliases came from, for messages; nil when there was no file.
    public private(set) var source: String?

    public init() {}

    /// Parses the file's text; `source` names it in errors.
    public init(parsing text: String, source: String) throws(NodeAliasError) {
        self.source = source
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            func invalid(_ why: String) -> NodeAliasError { NodeAliasError("\(source):\(index + 1): \(why)") }
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else { throw invalid("expected NAME = ADDRESS [secret-file=PATH] [host=ADDR]") }
            let name = String(line[..<equals].trimmingWhitespace())
            guard NodeAliases.isValidName(name) else {
                throw invalid("the alias \(String(reflecting: name)) must be letters, digits, '_', '.' or '-', starting with a letter or digit")
            }
            guard aliases[name] == nil else { throw invalid("the alias \(name) is defined twice") }
            let words = line[line.index(after: equals)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let addressText = words.first else { throw invalid("the alias \(name) has no address") }
            var alias: NodeAlias
            do { alias = NodeAlias(name: name, address: try NodeAddress(parsing: addressText)) } catch { throw invalid(error.description) }
            for word in words.dropFirst() {
                if word.hasPrefix("secret-file=") {
                    let path = String(word.dropFirst("secret-file=".count))
                    guard !path.isEmpty, alias.secretFile == nil else { throw invalid("secret-file= needs one path") }
                    alias.secretFile = path
                } else if word.hasPrefix("host=") {
                    let host = String(word.dropFirst("host=".count))
                    guard IPv4Address(host) != nil || IPv6Address(host) != nil || NodeAliases.isHostName(host) else {
                        throw invalid("host= must be an IP address or a host name, got \(String(reflecting: host))")
                    }
                    alias.host = host
                } else {
                    throw invalid("unknown setting \(String(reflecting: word)) (expected secret-file=PATH or host=ADDR)")
                }
            }
            aliases[name] = alias
        }
    }

    /// The path of the config file for `environment`, and whether it was named explicitly.
    public static func path(environment: [String: String]) -> (path: String, explicit: Bool)? {
        if let path = environment["BERTH_CONFIG"], !path.isEmpty { return (path, true) }
        if let base = environment["XDG_CONFIG_HOME"], base.hasPrefix("/") { return (base + "/berth/nodes", false) }
        if let home = environment["HOME"], home.hasPrefix("/") { return (home + "/.config/berth/nodes", false) }
        return nil
    }

    /// Reads the config file. A missing default file is no aliases; a missing `$BERTH_CONFIG` is an error.
    public static func load(environment: [String: String]) throws(NodeAliasError) -> NodeAliases {
        guard let (path, explicit) = path(environment: environment) else { return NodeAliases() }
        let found: [UInt8]?
        do { found = try FileSystem.readIfExists(path, limit: 1 << 20) } catch {
            throw NodeAliasError("cannot read the node config \(path): \(error)")
        }
        guard let bytes = found else {
            if explicit { throw NodeAliasError("the node config \(path) (BERTH_CONFIG) does not exist") }
            return NodeAliases()
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw NodeAliasError("\(path): not UTF-8 text") }
        return try NodeAliases(parsing: text, source: path)
    }

    /// An alias name: the container id rule (so `NAME/ID` locators stay unambiguous).
    public static func isValidName(_ name: String) -> Bool {
        (try? Identifier.validate(name)) != nil
    }

    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253 && !text.hasPrefix("-") && !text.hasPrefix(".")
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    }
}

/// A node config file or alias that is wrong, with where and why.
public struct NodeAliasError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return text
    }
}
