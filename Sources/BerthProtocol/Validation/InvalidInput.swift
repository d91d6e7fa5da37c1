/// An input refused where it enters: the input as given and the rule it broke.
///
/// One type serves every validated input (identifiers, paths, port mappings, network links, node
/// addresses, JSON text). `Subject` is the type the input was meant to become; it names the kind of
/// input, so each keeps its own error name (`IdentifierError` is `InvalidInput<Identifier>`), its
/// own message, and a `catch` for one kind never catches another.
public struct InvalidInput<Subject: InvalidInputSubject>: Error, Hashable, Sendable, CustomStringConvertible {
    public let input: Subject.Input
    public let reason: String

    public init(input: Subject.Input, reason: String) {
        self.input = input
        self.reason = reason
    }

    public var description: String { Subject.describe(input, reason: reason) }
}

/// A type whose values are checked where they enter, and how a refusal of one reads.
public protocol InvalidInputSubject {
    /// What a refusal carries: the text as given, unless the subject says otherwise.
    associatedtype Input: Hashable & Sendable = String
    /// The kind of input in messages: `identifier`, `port mapping`.
    static var inputNoun: String { get }
    /// The message of a refusal.
    static func describe(_ input: Input, reason: String) -> String
}

extension InvalidInputSubject where Input == String {
    /// `invalid <noun> "<input>": <reason>`, the input quoted so blanks and controls show.
    public static func describe(_ input: String, reason: String) -> String {
        "invalid \(inputNoun) \(String(reflecting: input)): \(reason)"
    }
}
