import Foundation
import Testing
import BerthCore

/// Decoding runs each type's own check; the refusal reaches the decoder's error with its message
/// unchanged, at the key it always named. And the two list text forms refuse alike.
@Suite struct CheckedDecodingTests {
    static func refusal<T: Decodable>(_ type: T.Type, _ json: String) -> (message: String, key: String?)? {
        do { _ = try JSONDecoder().decode(type, from: Data(json.utf8)) } catch DecodingError.dataCorrupted(let context) {
            return (context.debugDescription, context.codingPath.last?.stringValue)
        } catch { return nil }
        return nil
    }

    @Test func aRefusalKeepsItsMessageAndKey() throws {
        let cases: [((message: String, key: String?)?, String, String?)] = [
            (Self.refusal(Identifier.self, #""..x""#), "\(try #require(Self.identifierError("..x")))", nil),
            (Self.refusal(JobIdentifier.self, #""!""#), #"invalid job identifier "!": not unpadded base64url"#, nil),
            (Self.refusal(PortPair.self, #"{"internal":0}"#), #"invalid port mapping "0:0": the internal port must be 1-65535"#, "internal"),
            (Self.refusal(NetworkLink.self, #"{"fromPort":0}"#), try #require(Self.linkError(NetworkLink(fromPort: 0, toHost: "", toPort: 0))), "fromHost"),
            (Self.refusal(EnvironmentVariable.self, #"{"name":"A=B","value":"x"}"#),
             try #require(Self.variableError(EnvironmentVariable(name: "A=B", value: "x"))), "name"),
        ]
        for (got, message, key) in cases {
            #expect(got?.message == message)
            #expect(got?.key == key)
        }
    }

    @Test func listsOfEitherFormRefuseAnEmptyItemAlike() {
        #expect(throws: PortPairError(input: "80:1,,81:2", reason: "an empty item in the list")) { try [PortPair](parsing: "80:1,,81:2") }
        #expect(throws: NetworkLinkError(input: "1:h:2, ", reason: "an empty item in the list")) { try [NetworkLink](parsing: "1:h:2, ") }
        #expect(throws: PortPairError(input: "80:123456", reason: #"the external port "123456" is not a number 0-65535"#)) {
            try PortPair(parsing: "80:123456")
        }
        #expect((try? [PortPair](parsing: " 80:1 , 81 ")) == [PortPair(internal: 80, external: 1), PortPair(internal: 81, external: 0)])
        #expect((try? [NetworkLink](parsing: "  ")) == [])
    }

    static func identifierError(_ s: String) -> IdentifierError? {
        do { try Identifier.validate(s); return nil } catch { return error }
    }

    static func linkError(_ link: NetworkLink) -> String? {
        do { try link.validate(); return nil } catch { return error.description }
    }

    static func variableError(_ variable: EnvironmentVariable) -> String? {
        do { try variable.validate(); return nil } catch { return error.description }
    }
}
