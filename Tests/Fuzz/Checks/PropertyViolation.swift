/// A property a fuzz target checks did not hold for an input: a bug in the code under test (or in the
/// property), never an expected outcome for hostile input.
public struct PropertyViolation: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }

    /// Bytes shown so a person can read them in a failure message (a prefix of long inputs).
    static func show(_ bytes: [UInt8]) -> String {
        let shown = bytes.prefix(200)
        let text = String(decoding: shown, as: UTF8.self)
        return String(reflecting: text) + (bytes.count > shown.count ? "... (\(bytes.count) bytes)" : "")
    }
}
