/// A size as podman's and docker's `--memory` take it: a whole number of bytes, or one with a unit
/// `b`, `k`, `m` or `g` (either case, 1024-based). `256m` is 268435456.
enum ByteSize {
    static func parse(_ text: String) -> Int? {
        var digits = Substring(text)
        var scale = 1
        if let last = digits.last, !last.isNumber {
            switch last.lowercased() {
            case "b": scale = 1
            case "k": scale = 1 << 10
            case "m": scale = 1 << 20
            case "g": scale = 1 << 30
            default: return nil
            }
            digits.removeLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }
}
