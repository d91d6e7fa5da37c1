/// Checks of the container image reference, the one string of the user's that sits among the
/// runtime's own arguments.
///
/// The grammar is conservative (a subset of the OCI distribution reference grammar):
/// 1 to 255 characters of `[A-Za-z0-9._/:@+-]`, starting with a letter or digit (so it can never be
/// read as an option), no empty path component (`//`), no `..`, at most one `@` (a digest), and
/// not ending in a separator. The renderer also passes it after `--`.
public enum ImageReference {
    public static let maxLength = 255

    public static func validate(_ image: String) throws(RenderError) {
        func fail(_ reason: String) -> RenderError { RenderError(field: "image", value: image, reason: reason) }
        let bytes = Array(image.utf8)
        guard let first = bytes.first else { throw fail("may not be empty") }
        if bytes.count > maxLength { throw fail("longer than \(maxLength) characters") }
        func isAlnum(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
        }
        guard isAlnum(first) else { throw fail("must start with a letter or digit") }
        let punctuation = Array("._/:@+-".utf8)
        guard bytes.allSatisfy({ isAlnum($0) || punctuation.contains($0) }) else {
            throw fail("may contain only letters, digits and '._/:@+-' (no spaces or control characters)")
        }
        guard let last = bytes.last, isAlnum(last) || last == UInt8(ascii: "_") else {
            throw fail("must end with a letter, digit or '_'")
        }
        if image.contains("//") { throw fail("has an empty path component ('//')") }
        if image.contains("..") { throw fail("may not contain '..'") }
        if bytes.filter({ $0 == UInt8(ascii: "@") }).count > 1 { throw fail("may contain at most one '@' (digest)") }
    }
}
