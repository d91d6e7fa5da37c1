/// Validation of the strings the protocol constrains: object paths, interface, member and error
/// names. Each check throws a `DBusProtocolError` naming the bad text.
enum DBusNames {
    static let maximumNameLength = 255

    static func checkString(_ s: String) throws {
        if s.utf8.contains(0) { throw DBusProtocolError("a string must not contain NUL: \(s.debugDescription)") }
    }

    static func isPathElementByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    /// `/`, or `/` followed by non-empty elements of `[A-Za-z0-9_]` separated by single slashes.
    static func checkObjectPath(_ path: String) throws {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") else { throw DBusProtocolError("object path must start with '/': \(path.debugDescription)") }
        if bytes.count == 1 { return }
        var elementLength = 0
        for b in bytes.dropFirst() {
            if b == UInt8(ascii: "/") {
                guard elementLength > 0 else { throw DBusProtocolError("object path has an empty element: \(path.debugDescription)") }
                elementLength = 0
            } else if isPathElementByte(b) {
                elementLength += 1
            } else {
                throw DBusProtocolError("object path may hold only [A-Za-z0-9_/]: \(path.debugDescription)")
            }
        }
        guard elementLength > 0 else { throw DBusProtocolError("object path must not end with '/': \(path.debugDescription)") }
    }

    /// Interface and error names: two or more dot-separated elements of `[A-Za-z0-9_]`, none starting
    /// with a digit, at most 255 bytes.
    static func checkInterface(_ name: String, what: String = "interface name") throws {
        let elements = name.split(separator: ".", omittingEmptySubsequences: false)
        guard name.utf8.count <= maximumNameLength, elements.count >= 2,
              elements.allSatisfy({ isMemberLike(Substring($0)) }) else {
            throw DBusProtocolError("invalid \(what): \(name.debugDescription)")
        }
    }

    /// Member names: one element of `[A-Za-z0-9_]`, not starting with a digit.
    static func checkMember(_ name: String) throws {
        guard name.utf8.count <= maximumNameLength, isMemberLike(Substring(name)) else {
            throw DBusProtocolError("invalid member name: \(name.debugDescription)")
        }
    }

    private static func isMemberLike(_ s: Substring) -> Bool {
        guard let first = s.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return s.utf8.allSatisfy(isPathElementByte)
    }
}
