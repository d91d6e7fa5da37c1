extension Identifier {
    /// How many random characters `random(prefix:)` appends: 12 of 36 symbols is about 62 bits,
    /// plenty to make a collision among one node's containers negligible.
    public static let randomSuffixLength = 12

    /// The longest prefix `random(prefix:)` accepts, so prefix plus suffix always fit `maxLength`.
    public static let maxRandomPrefixLength = maxLength - randomSuffixLength

    /// A fresh identifier that starts with `prefix` followed by random lowercase letters and digits.
    /// An empty prefix is allowed. Throws if the prefix could not begin a valid identifier (bad first
    /// character, a character outside the rule) or is longer than `maxRandomPrefixLength`.
    public static func random(prefix: String = "") throws(IdentifierError) -> Identifier {
        if prefix.utf8.count > maxRandomPrefixLength {
            throw IdentifierError(
                input: prefix,
                reason: "a random identifier's prefix may be at most \(maxRandomPrefixLength) characters")
        }
        if !prefix.isEmpty {
            // A valid prefix is exactly a valid identifier of the same characters.
            do { try validate(prefix) } catch {
                throw IdentifierError(input: prefix, reason: "invalid prefix: \(error.reason)")
            }
        }
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        var bytes = Array(prefix.utf8)
        for _ in 0..<randomSuffixLength {
            bytes.append(alphabet.randomElement(using: &generator)!)
        }
        return try Identifier(String(decoding: bytes, as: UTF8.self))
    }
}
