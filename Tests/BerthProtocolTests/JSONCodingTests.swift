import Testing
import BerthProtocol

private struct Volume: Codable, Hashable {
    var hostPath: String
    var containerPath: String
    var readOnly: Bool?
    enum CodingKeys: String, CodingKey { case hostPath, containerPath, readOnly }
}

private enum Mode: String, Codable { case fast, slow }

private struct Sample: Codable, Hashable {
    var id: String
    var port: UInt16
    var big: Int64
    var ratio: Double
    var tags: [String]
    var volumes: [Volume]
    var mode: Mode
    var extra: JSONValue?
    var nested: [String: [Int]]
    var optional: String?
    enum CodingKeys: String, CodingKey { case id, port, big, ratio, tags, volumes, mode, extra, nested, optional }
}

private let sample = Sample(
    id: "web", port: 8080, big: Int64.max, ratio: 0.25, tags: ["a", "b"],
    volumes: [Volume(hostPath: "/srv", containerPath: "/data", readOnly: true)], mode: .slow,
    extra: ["any": [1, "two", nil]], nested: ["x": [1, 2]], optional: nil)

@Test func encodesToJSONValueAndBack() throws {
    let value = try JSONValueEncoder().encode(sample)
    #expect(value["port"] == .int(8080))
    #expect(value["big"] == .int(Int64.max))
    #expect(value["mode"] == .string("slow"))
    #expect(value["optional"] == nil)  // absent, not null
    #expect(value["extra"] == ["any": [1, "two", nil]])
    #expect(text(value.serialized()).hasPrefix(#"{"big":9223372036854775807,"extra":"#))
    let back = try JSONValueDecoder().decode(Sample.self, from: value)
    #expect(back == sample)
}

@Test func decodesFromParsedText() throws {
    let v = try json(#"{"id":"x","port":1,"big":2,"ratio":1,"tags":[],"volumes":[{"hostPath":"/a","containerPath":"/b"}],"mode":"fast","nested":{}}"#)
    let s = try JSONValueDecoder().decode(Sample.self, from: v)
    #expect(s.ratio == 1.0)  // an integer is a fine Double
    #expect(s.volumes[0].readOnly == nil)
    #expect(s.extra == nil)
}

@Test func decodingErrorsNameThePath() throws {
    func message(_ text: String, strict: Bool = false) throws -> String {
        do {
            _ = try JSONValueDecoder(rejectUnknownKeys: strict).decode(Sample.self, from: json(text))
            return "no error"
        } catch {
            return DecodingPath.describe(error)
        }
    }
    let base = #""id":"x","big":2,"ratio":1,"tags":[],"mode":"fast","nested":{}"#
    #expect(try message("{\(base),\"port\":70000,\"volumes\":[]}").hasPrefix("port: "))
    #expect(try message("{\(base),\"port\":1.5,\"volumes\":[]}").hasPrefix("port: "))
    #expect(try message("{\(base),\"port\":\"80\",\"volumes\":[]}") == "port: expected an integer, found a string")
    #expect(try message("{\(base),\"port\":1,\"volumes\":[{\"hostPath\":\"/a\"}]}") == "missing required parameter 'volumes[0].containerPath'")
    #expect(try message("{\(base),\"port\":1,\"volumes\":[{\"hostPath\":\"/a\",\"containerPath\":\"/b\",\"readonly\":true}]}", strict: true)
        == "volumes[0].readonly: unknown key \"readonly\"")
    // Without strictness unknown keys are ignored (results from newer nodes).
    #expect(try message("{\(base),\"port\":1,\"volumes\":[],\"future\":1}") == "no error")
    #expect(try message("{\(base),\"port\":1,\"volumes\":[],\"future\":1}", strict: true) == "future: unknown key \"future\"")
}

@Test func integersConvertOnlyWhenExact() throws {
    let d = JSONValueDecoder()
    #expect(try d.decode(Int.self, from: .double(3)) == 3)
    #expect(throws: DecodingError.self) { try d.decode(Int.self, from: .double(3.5)) }
    #expect(throws: DecodingError.self) { try d.decode(UInt8.self, from: .int(256)) }
    #expect(throws: DecodingError.self) { try d.decode(UInt8.self, from: .int(-1)) }
    #expect(try d.decode(Double.self, from: .int(7)) == 7)
    #expect(throws: DecodingError.self) { try d.decode(Bool.self, from: .int(1)) }
    #expect(try d.decode([Int?].self, from: [1, nil]) == [1, nil])
}

@Test func encoderRefusesValuesWithoutExactJSON() {
    #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([Double.nan]) }
    #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(["x": Double.infinity]) }
    #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(UInt64.max) }
    #expect((try? JSONValueEncoder().encode(UInt64(Int64.max))) == .int(Int64.max))
}

@Test func jsonValueIsCodableThroughTheCoders() throws {
    let v: JSONValue = ["a": [1, 2.5, "x", true, nil], "b": [:]]
    #expect(try JSONValueEncoder().encode(v) == v)
    #expect(try JSONValueDecoder().decode(JSONValue.self, from: v) == v)
    #expect(try JSONValueEncoder().encode(["k": v]) == ["k": v])
}

/// A mount is one type on the wire and in the node's record: a missing `readOnly` is a writable
/// mount, and a writable mount is written without it (as params and records always carried it).
@Test func aVolumeMountReadsAndWritesReadOnlyOnlyWhenSet() throws {
    let writable = try JSONValueDecoder(rejectUnknownKeys: true).decode(VolumeMount.self, from: ["hostPath": "/a", "containerPath": "/b"])
    #expect(writable == VolumeMount(hostPath: "/a", containerPath: "/b", readOnly: false))
    #expect(try JSONValueEncoder().encode(writable) == ["hostPath": "/a", "containerPath": "/b"])
    let readOnly = VolumeMount(hostPath: "/a", containerPath: "/b", readOnly: true)
    #expect(try JSONValueEncoder().encode(readOnly) == ["hostPath": "/a", "containerPath": "/b", "readOnly": true])
    #expect(try JSONValueDecoder().decode(VolumeMount.self, from: JSONValueEncoder().encode(readOnly)) == readOnly)
    #expect(throws: DecodingError.self) {
        try JSONValueDecoder().decode(VolumeMount.self, from: ["hostPath": "/a", "containerPath": "/b", "readOnly": "yes"])
    }
}
