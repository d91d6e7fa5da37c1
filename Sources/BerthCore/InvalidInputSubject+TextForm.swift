import BerthProtocol

/// What the text forms of port pairs and network links share: comma-separated lists and decimal ports.
extension InvalidInputSubject where Input == String {
    /// The items of `item,item`, blanks around each trimmed; the empty string is no items. An empty
    /// item is refused, naming the whole list.
    static func items(ofList text: String) throws(InvalidInput<Self>) -> [String] {
        if text.trimmingBlanks.isEmpty { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { (item) throws(InvalidInput<Self>) in
            let trimmed = String(item).trimmingBlanks
            if trimmed.isEmpty { throw InvalidInput<Self>(input: text, reason: "an empty item in the list") }
            return trimmed
        }
    }

    /// A port as the text forms write it: one to five decimal digits, 0-65535; nil otherwise.
    static func portNumber<Text: StringProtocol>(_ s: Text) -> UInt16? {
        guard !s.isEmpty, s.utf8.count <= 5, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = Int(s), n <= 65535 else { return nil }
        return UInt16(n)
    }
}
