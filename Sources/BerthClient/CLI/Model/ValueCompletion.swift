/// What a shell completes for a value or an argument.
public enum ValueCompletion: Sendable {
    case none
    /// A file name.
    case file
    /// One of these words.
    case words([String])
}
