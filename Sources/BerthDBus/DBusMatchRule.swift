/// Which incoming messages a signal stream receives. Every field set must match; nil matches all.
/// On a bus the same rule is sent to the daemon with `AddMatch` (see `ruleString`); peer-to-peer the
/// connection filters locally.
public struct DBusMatchRule: Hashable, Sendable {
    public var type: DBusMessage.MessageType?
    public var sender: String?
    public var interface: String?
    public var member: String?
    /// The exact object path.
    public var path: String?
    /// The path itself or any path below it.
    public var pathNamespace: String?
    /// The body's first argument, when it is a string.
    public var arg0: String?

    public init(type: DBusMessage.MessageType? = .signal, sender: String? = nil, interface: String? = nil,
                member: String? = nil, path: String? = nil, pathNamespace: String? = nil, arg0: String? = nil) {
        self.type = type
        self.sender = sender
        self.interface = interface
        self.member = member
        self.path = path
        self.pathNamespace = pathNamespace
        self.arg0 = arg0
    }

    public func matches(_ message: DBusMessage) -> Bool {
        if let type, message.type != type { return false }
        if let sender, message.sender != sender { return false }
        if let interface, message.interface != interface { return false }
        if let member, message.member != member { return false }
        if let path, message.path != path { return false }
        if let pathNamespace {
            guard let p = message.path else { return false }
            let prefix = pathNamespace == "/" ? "/" : pathNamespace + "/"
            if p != pathNamespace && !p.hasPrefix(prefix) { return false }
        }
        if let arg0 {
            guard case .string(let first)? = message.body.first, first == arg0 else { return false }
        }
        return true
    }

    /// The rule in the daemon's syntax, values quoted (a `'` inside becomes `'\''`).
    public var ruleString: String {
        func quote(_ s: String) -> String { "'" + s.replacingAll("'", with: "'\\''") + "'" }
        var parts: [String] = []
        if let type {
            let name = switch type {
            case .methodCall: "method_call"
            case .methodReturn: "method_return"
            case .error: "error"
            case .signal: "signal"
            }
            parts.append("type=\(quote(name))")
        }
        if let sender { parts.append("sender=\(quote(sender))") }
        if let interface { parts.append("interface=\(quote(interface))") }
        if let member { parts.append("member=\(quote(member))") }
        if let path { parts.append("path=\(quote(path))") }
        if let pathNamespace { parts.append("path_namespace=\(quote(pathNamespace))") }
        if let arg0 { parts.append("arg0=\(quote(arg0))") }
        return parts.joined(separator: ",")
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for c in self { if c == target { result += replacement } else { result.append(c) } }
        return result
    }
}
