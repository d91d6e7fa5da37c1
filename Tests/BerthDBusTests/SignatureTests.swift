import Testing
@testable import BerthDBus
@testable import BerthSystemd

@Suite struct SignatureTests {
    @Test(arguments: ["", "y", "a{sv}", "(ssssssouso)", "a(ssssssouso)", "aay", "a{sa{sv}}", "(ua(yv))", "hgbnqixtdov"])
    func validSignaturesParseAndPrintBack(_ text: String) throws {
        let types = try DBusType.parse(text)
        #expect(types.map(\.signature).joined() == text)
    }

    @Test func typesAreWhatTheSignatureSays() throws {
        #expect(try DBusType.parse("a{sv}") == [.array(.dictEntry(key: .string, value: .variant))])
        #expect(try DBusType.parse("(uo)s") == [.structure([.uint32, .objectPath]), .string])
        #expect(try DBusType.parseSingle("ay") == .array(.byte))
    }

    @Test(arguments: [
        ("a", "unexpected end"), ("(", "unclosed"), ("()", "empty struct"), ("{sv}", "only be an array"),
        ("a{vs}", "basic type"), ("a{s}", "unexpected '}'"), ("a{sss}", "key and a value"), ("z", "unknown type code"),
        ("(s", "unclosed"), ("a{(s)s}", "basic type"),
    ])
    func invalidSignaturesAreRefusedWithAReason(_ text: String, _ reason: String) {
        let error = #expect(throws: DBusProtocolError.self) { try DBusType.parse(text) }
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test func nestingAndLengthLimits() throws {
        _ = try DBusType.parse(String(repeating: "a", count: 32) + "y")
        #expect(throws: DBusProtocolError.self) { try DBusType.parse(String(repeating: "a", count: 33) + "y") }
        let deepStruct = String(repeating: "(", count: 32) + "y" + String(repeating: ")", count: 32)
        _ = try DBusType.parse(deepStruct)
        let tooDeep = String(repeating: "(", count: 33) + "y" + String(repeating: ")", count: 33)
        #expect(throws: DBusProtocolError.self) { try DBusType.parse(tooDeep) }
        _ = try DBusType.parse(String(repeating: "y", count: 255))
        #expect(throws: DBusProtocolError.self) { try DBusType.parse(String(repeating: "y", count: 256)) }
        #expect(throws: DBusProtocolError.self) { try DBusType.parseSingle("ss") }
    }

    @Test func systemdUnitPathsEscapeLikeSystemd() {
        #expect(SystemdPath.unitPath("berth-sleep.service") == "/org/freedesktop/systemd1/unit/berth_2dsleep_2eservice")
        // Seen on the wire: a mount unit whose name holds a backslash escape.
        let path = "/org/freedesktop/systemd1/unit/run_2dnetns_2dbcl9752_5cx2dh1_2emount"
        #expect(SystemdPath.unitName(fromPath: path) == "run-netns-bcl9752\\x2dh1.mount")
        #expect(SystemdPath.unitPath("run-netns-bcl9752\\x2dh1.mount") == path)
        #expect(SystemdPath.unitName(fromPath: "/org/other") == nil)
        #expect(SystemdPath.unescape("bad_4") == nil)
    }

    @Test func matchRulesFilterAndSpellLikeTheDaemon() {
        let rule = DBusMatchRule(interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged",
                                 pathNamespace: "/org/freedesktop/systemd1/unit")
        var message = DBusMessage.signal(path: "/org/freedesktop/systemd1/unit/a_2eservice", interface: "org.freedesktop.DBus.Properties",
                                         member: "PropertiesChanged")
        #expect(rule.matches(message))
        message.path = "/org/freedesktop/systemd1/unitx"
        #expect(!rule.matches(message))
        message.path = "/org/freedesktop/systemd1/unit"
        #expect(rule.matches(message))
        message.member = "Other"
        #expect(!rule.matches(message))
        #expect(DBusMatchRule(member: "A", arg0: "it's").ruleString == "type='signal',member='A',arg0='it'\\''s'")
    }
}
