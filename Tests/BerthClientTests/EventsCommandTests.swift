import BerthProtocol
import Testing
@testable import BerthClient

@Suite struct EventsCommandTests {
    @Test func parsesEveryOption() throws {
        let command = try EventsCommand(arguments: ["-f", "--since", "5f0c.42", "--id", "web", "--id", "db",
                                                    "--heartbeat", "0.5", "--node", "unix:/a", "--json"])
        try command.validate()
        #expect(command.follow)
        #expect(command.since == EventCursor(epoch: "5f0c", seq: 42))
        #expect(command.ids == ["web", "db"])
        #expect(command.heartbeat == 0.5)
        #expect(command.options.json)
    }

    @Test func cursorTextRoundTripsAndRefusesJunk() {
        let cursor = EventCursor(epoch: "ab12", seq: 7)
        #expect(EventCursor(text: cursor.text) == cursor)
        for junk in ["", ".", "ab12.", ".7", "a.b.7", "ab12.-7", "ab12.7x", "ab12.99999999999999999999"] {
            #expect(EventCursor(text: junk) == nil, "\(junk)")
        }
    }

    @Test func cursorDecodesFromObjectOrText() throws {
        let decoder = JSONValueDecoder()
        let fromObject = try decoder.decode(EventsSubscribeParams.self, from: try JSONParser.parse(#"{"cursor":{"epoch":"e","seq":3}}"#))
        let fromText = try decoder.decode(EventsSubscribeParams.self, from: try JSONParser.parse(#"{"cursor":"e.3"}"#))
        #expect(fromObject.cursor == EventCursor(epoch: "e", seq: 3))
        #expect(fromText.cursor == fromObject.cursor)
        #expect(throws: (any Error).self) {
            try decoder.decode(EventsSubscribeParams.self, from: try JSONParser.parse(#"{"cursor":"e"}"#))
        }
    }

    @Test func timesPrintAsUTC() {
        #expect(EventsCommand.timeText(0) == "1970-01-01T00:00:00.000Z")
        #expect(EventsCommand.timeText(951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(EventsCommand.timeText(1_795_948_201_123) == "2026-11-29T10:30:01.123Z")
        #expect(EventsCommand.timeText(4_102_444_799_999) == "2099-12-31T23:59:59.999Z")
        #expect(EventsCommand.timeText(-1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func linesNameTheNodeAndMarkSnapshots() {
        let output = CommandOutput.capturing()
        let node = NodeAddress.unix(path: "/run/a.sock")
        let cursor = EventCursor(epoch: "e", seq: 4)
        EventsCommand.print(.init(node: node, event: EventNotification(type: "snapshot", subscription: "s", cursor: cursor, time: 0,
                                                                        id: "web", event: "started", state: "active", subState: "running")),
                            json: false, output)
        EventsCommand.print(.init(node: node, event: EventNotification(type: "change", subscription: "s", cursor: cursor, time: 0,
                                                                        id: "web", event: "stopped", state: "inactive", subState: "dead")),
                            json: true, output)
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first == "1970-01-01T00:00:00.000Z  \(node)  web  (started)  active (running)  e.4")
        let json = try? JSONParser.parse(lines.last ?? "")
        #expect(json?["node"]?.stringValue == node.description)
        #expect(json?["event"]?.stringValue == "stopped")
        #expect(json?["cursor"]?["seq"]?.intValue == 4)
    }
}
