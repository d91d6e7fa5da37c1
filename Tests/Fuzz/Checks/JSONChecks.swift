import BerthProtocol

/// JSON: parse -> serialize -> parse is the identity, the serialized form is a fixed point, and it
/// never holds a raw newline (a message must stay one line of the framing).
enum JSONChecks {
    static func check(_ input: [UInt8]) throws(PropertyViolation) {
        guard let value = try? JSONParser.parse(input) else { return }
        let text = value.serialized()
        if text.contains(0x0A) || text.contains(0x0D) {
            throw PropertyViolation("serialized form of \(PropertyViolation.show(input)) holds a raw line break: \(PropertyViolation.show(text))")
        }
        let again: JSONValue
        do {
            again = try JSONParser.parse(text)
        } catch {
            throw PropertyViolation("\(PropertyViolation.show(input)) serialized to \(PropertyViolation.show(text)), which does not parse: \(error)")
        }
        guard again == value else {
            throw PropertyViolation("\(PropertyViolation.show(input)) serialized to \(PropertyViolation.show(text)), which parses to a different value")
        }
        guard again.serialized() == text else {
            throw PropertyViolation("serializing \(PropertyViolation.show(input)) twice gave two texts")
        }
    }
}
