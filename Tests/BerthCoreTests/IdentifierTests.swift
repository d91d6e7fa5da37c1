import Foundation
import Testing
@testable import BerthCore

@Suite struct IdentifierTests {
    @Test(arguments: ["a", "web", "db-1", "A_b.c-9", "0start", String(repeating: "x", count: 63)])
    func acceptsValid(_ s: String) throws {
        #expect(try Identifier(s).rawValue == s)
        #expect(Identifier(rawValue: s) != nil)
    }

    @Test(arguments: [
        ("", "may not be empty"),
        (String(repeating: "x", count: 64), "longer than 63"),
        ("..x", "must start with a letter or digit"),  // geard's escape
        ("..", "must start with a letter or digit"),
        (".hidden", "must start with a letter or digit"),
        ("-rf", "must start with a letter or digit"),
        ("_x", "must start with a letter or digit"),
        ("a/b", "may contain only"),
        ("a/../../etc", "may contain only"),
        ("a b", "may contain only"),
        ("a\nb", "may contain only"),
        ("a%i", "may contain only"),
        ("a\\b", "may contain only"),
        ("a@b", "may contain only"),
        ("ünï", "must start"),
        ("aü", "may contain only"),
    ])
    func refusesInvalid(_ s: String, _ reason: String) {
        #expect(Identifier(rawValue: s) == nil)
        do {
            _ = try Identifier(s)
            Issue.record("accepted \(s)")
        } catch {
            #expect(error.reason.contains(reason), "\(error)")
            #expect(error.description.contains("invalid identifier"))
        }
    }

    @Test func codableIsAPlainStringAndValidatesOnDecode() throws {
        let id = try Identifier("web-1")
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == #"["web-1"]"#)
        #expect(try JSONDecoder().decode([Identifier].self, from: data) == [id])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Identifier].self, from: Data(#"["..x"]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Identifier].self, from: Data(#"[""]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Identifier].self, from: Data("[1]".utf8)) }
    }

    @Test func unitNames() throws {
        let id = try Identifier("web.1")
        #expect(id.unitName == "ctr-web.1.service")
        #expect(id.socketUnitName == "ctr-web.1.socket")
        #expect(id.idleFlagName == "ctr-web.1.idle")
        #expect(id.jobUnitName == "job-web.1.service")
        #expect(id.loginName == "ctr-web.1")
    }

    @Test func unitNameReverses() throws {
        let id = try Identifier("db-1")
        #expect(Identifier(unitName: id.unitName) == id)
        #expect(Identifier(unitName: id.socketUnitName) == id)
        for other in ["job-x.service", "ctr-.service", "ctr-..x.service", "ctr-a@b.service", "ctr-web.target",
                      "berth-active.target", "web.service", "ctr-web", "ctr-a/b.service"] {
            #expect(Identifier(unitName: other) == nil, "\(other)")
        }
    }

    @Test func loginNameMapsBack() throws {
        let id = try Identifier("app")
        #expect(Identifier(loginName: id.loginName) == id)
        #expect(Identifier(loginName: "root") == nil)
        #expect(Identifier(loginName: "ctr-") == nil)
        #expect(Identifier(loginName: "ctr-..x") == nil)
        #expect(id.hasLoginName)
        #expect(!(try Identifier(String(repeating: "a", count: 29))).hasLoginName)
        #expect((try Identifier(String(repeating: "a", count: 28))).hasLoginName)
    }

    @Test func randomKeepsPrefixAndFits() throws {
        var seen = Set<Identifier>()
        for n in 0..<2000 {
            let prefix = n % 3 == 0 ? "" : String(repeating: "p", count: n % (Identifier.maxRandomPrefixLength + 1))
            let id = try Identifier.random(prefix: prefix)
            #expect(id.rawValue.hasPrefix(prefix))
            #expect(id.rawValue.utf8.count == prefix.utf8.count + Identifier.randomSuffixLength)
            #expect(id.rawValue.utf8.count <= Identifier.maxLength)
            #expect(Identifier(rawValue: id.rawValue) == id)
            #expect(seen.insert(id).inserted)
        }
        let longest = try Identifier.random(prefix: String(repeating: "a", count: Identifier.maxRandomPrefixLength))
        #expect(longest.rawValue.utf8.count == Identifier.maxLength)
    }

    @Test(arguments: ["..", "-x", "a/b", "a b", String(repeating: "a", count: Identifier.maxRandomPrefixLength + 1)])
    func randomRefusesBadPrefix(_ prefix: String) {
        #expect(throws: IdentifierError.self) { try Identifier.random(prefix: prefix) }
    }
}
