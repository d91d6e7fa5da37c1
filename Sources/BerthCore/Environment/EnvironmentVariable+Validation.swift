import BerthProtocol

extension EnvironmentVariable {
    /// The longest name accepted (names are ASCII: characters are bytes).
    public static let maxNameBytes = ContractLimits.environmentNameCharacters
    /// The longest value accepted, in characters (Unicode scalars, as the contract's `maxLength`
    /// counts them; at most four UTF-8 bytes each).
    public static let maxValueCharacters = ContractLimits.environmentValueCharacters

    /// Whether `name` is `[A-Za-z_][A-Za-z0-9_]*` of at most `maxNameBytes` bytes (the set bash and
    /// systemd accept; `=`, blanks and newlines can never slip into a name).
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= maxNameBytes else { return false }
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || b == 0x5F }
        return isLetter(first) && bytes.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// Throws unless the name is valid, the value fits `maxValueCharacters` and holds no NUL (which no
    /// process environment can carry) and no line break (`\n` or `\r`: the runtime's `--env-file`,
    /// through which values reach the container, is one variable per line; see
    /// `RuntimeEnvironmentFile`). Any other character arrives in the container exactly as given.
    public func validate() throws(EnvironmentError) {
        if name.isEmpty { throw EnvironmentError(reason: "a variable name may not be empty") }
        if name.utf8.count > EnvironmentVariable.maxNameBytes {
            throw EnvironmentError(reason: "name \(String(reflecting: String(name.prefix(40))))... is longer than \(EnvironmentVariable.maxNameBytes) bytes")
        }
        if !EnvironmentVariable.isValidName(name) {
            throw EnvironmentError(reason: "invalid name \(String(reflecting: name)): names are [A-Za-z_][A-Za-z0-9_]*")
        }
        if value.schemaLength > EnvironmentVariable.maxValueCharacters {
            throw EnvironmentError(reason: "the value of \(name) is longer than \(EnvironmentVariable.maxValueCharacters) characters")
        }
        if value.utf8.contains(0) {
            throw EnvironmentError(reason: "the value of \(name) contains a NUL byte")
        }
        if value.utf8.contains(0x0A) || value.utf8.contains(0x0D) {
            throw EnvironmentError(reason: "the value of \(name) contains a line break: a value is one line "
                                   + "(the runtime's env-file format); encode multi-line values, e.g. as base64")
        }
    }

    /// Parses the one-line form users type (`berth install -e A=B`), with geard's rules: blanks around
    /// the line and the name are dropped, then blanks around the value, then one pair of matching
    /// quotes, then blanks inside them (`A="B  "` gives `B`, `A="'B  '"` gives `'B  '`). Values
    /// that must keep outer blanks are set through the structured API instead.
    public init(line: String) throws(EnvironmentError) {
        guard let eq = line.firstIndex(of: "=") else {
            throw EnvironmentError(reason: "expected NAME=VALUE, got \(String(reflecting: line))")
        }
        let name = String(line[..<eq]).trimmingBlanks
        var value = String(line[line.index(after: eq)...]).trimmingBlanks
        if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
            value = String(value.dropFirst().dropLast()).trimmingBlanks
        }
        self.init(name: name, value: value)
        try validate()
    }
}

/// Decoding validates, so a document can never carry a name or value the writer could not express.
extension EnvironmentVariable: Codable {
    enum CodingKeys: String, CodingKey {
        case name
        case value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name),
                  value: try container.decode(String.self, forKey: .value))
        try container.check(at: .name) { try validate() }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(value, forKey: .value)
    }
}

extension String {
    /// Drops spaces and tabs at both ends (the blanks of the one-line form; newlines are not blanks).
    var trimmingBlanks: String {
        let bytes = Array(utf8)
        var start = 0, end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
