import Testing
import BerthCore
import BerthProtocol

/// Every refused input shares `InvalidInput`; each kind must keep the message it had as a type of
/// its own (the wire and the CLI print them, and tests match them), and stay a type of its own.
@Suite struct InvalidInputTests {
    @Test func eachKindKeepsItsMessage() throws {
        #expect(throws: IdentifierError(input: "Bad/Id", reason: "may contain only letters, digits, '_', '.' and '-'")) {
            try Identifier("Bad/Id")
        }
        let messages: [(any Error, String)] = [
            (IdentifierError(input: "a b", reason: "r"), #"invalid identifier "a b": r"#),
            (JobIdentifierError(input: "x\n", reason: "r"), #"invalid job identifier "x\n": r"#),
            (NetworkLinkError(input: "l", reason: "r"), #"invalid network link "l": r"#),
            (PortPairError(input: "80:x", reason: "r"), #"invalid port mapping "80:x": r"#),
            (LayoutError(input: "rel", reason: "r"), #"invalid path "rel": r"#),
            (JSONParseError(offset: 9, reason: "r"), "invalid JSON at byte 9: r"),
        ]
        for (error, message) in messages { #expect(String(describing: error) == message) }
        #expect(JSONParseError(offset: 9, reason: "r").offset == 9)
    }

    @Test func aCatchForOneKindNeverCatchesAnother() {
        let error: any Error = PortPairError(input: "x", reason: "r")
        #expect(error is PortPairError)
        #expect(!(error is NetworkLinkError) && !(error is IdentifierError) && !(error is LayoutError))
    }
}
