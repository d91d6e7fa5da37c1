import Testing
import BerthFuzzChecks
@testable import BerthProtocol

/// A direct decoder may decline (nil) anything, but what it accepts it must decode exactly as the
/// Codable path does; and `decodeParams` must give the Codable path's value or error either way.
private func agree<T: DirectParams & Equatable>(_ type: T.Type, _ text: String, mustBeDirect: Bool = false,
                                                sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard case .object(let members) = try json(text) else { Issue.record("not an object: \(text)"); return }
    let codable = Result { try JSONValueDecoder(rejectUnknownKeys: true).decode(T.self, from: .object(members)) }
    let direct = T.direct(members)
    if let direct {
        #expect(try codable.get() == direct, "direct decoding of \(text) differs from Codable's", sourceLocation: sourceLocation)
    } else if mustBeDirect {
        Issue.record("the direct decoder declined a usual shape: \(text)", sourceLocation: sourceLocation)
    }
    let request = RPCRequest(id: 1, method: "m", params: .object(members))
    switch codable {
    case .success(let value):
        #expect(try request.decodeParams(T.self) == value, sourceLocation: sourceLocation)
    case .failure(let error):
        let expected = RPCError.invalidParams(decoding: error)
        #expect(throws: expected, "decodeParams(\(text))", sourceLocation: sourceLocation) { try request.decodeParams(T.self) }
    }
}

@Test func directHelloParamsAgreeWithCodable() throws {
    try agree(HelloParams.self, #"{"protocols":[1],"client":"berth/0.1"}"#, mustBeDirect: true)
    try agree(HelloParams.self, #"{"protocols":[1,2,7]}"#, mustBeDirect: true)
    try agree(HelloParams.self, #"{"protocols":[]}"#, mustBeDirect: true)
    for text in [#"{}"#, #"{"protocols":[1],"clinet":"x"}"#, #"{"protocols":[1],"client":null}"#,
                 #"{"protocols":[1.5]}"#, #"{"protocols":[1.0]}"#, #"{"protocols":["1"]}"#, #"{"protocols":1}"#,
                 #"{"protocols":[1],"client":7}"#, #"{"client":"x"}"#, #"{"protocols":[9223372036854775807]}"#,
                 #"{"protocols":[1],"client":"a","x":1}"#, #"{"protocols":null}"#] {
        try agree(HelloParams.self, text)
    }
}

@Test func directListParamsAgreeWithCodable() throws {
    try agree(ContainerListParams.self, #"{}"#, mustBeDirect: true)
    try agree(ContainerListParams.self, #"{"state":"active"}"#, mustBeDirect: true)
    try agree(ContainerListParams.self, #"{"ids":["a","b"],"state":"inactive"}"#, mustBeDirect: true)
    for text in [#"{"all":true}"#, #"{"state":null}"#, #"{"ids":"a"}"#, #"{"ids":["a",1]}"#, #"{"ids":[]}"#,
                 #"{"state":1}"#, #"{"ids":null}"#, #"{"ids":[["a"]]}"#] {
        try agree(ContainerListParams.self, text)
    }
}

@Test func directAuthResponseParamsAgreeWithCodable() throws {
    try agree(AuthResponseParams.self, #"{"clientNonce":"00ff","response":"ab"}"#, mustBeDirect: true)
    for text in [#"{"clientNonce":"00ff"}"#, #"{"clientNonce":"00ff","response":1}"#, #"{}"#,
                 #"{"clientNonce":"00ff","response":"ab","x":0}"#, #"{"clientNonce":null,"response":"ab"}"#] {
        try agree(AuthResponseParams.self, text)
    }
}

/// Random member sets from the keys these types know and a few they do not, with values of every kind.
@Test func directParamsAgreeWithCodableOnRandomMembers() throws {
    var rng = SplitMix64(seed: 29)
    let keys = ["protocols", "client", "state", "ids", "clientNonce", "response", "x", ""]
    let values: [JSONValue] = [.null, .bool(true), .int(1), .int(-3), .double(1.5), .double(2), .string("s"),
                               .string(""), .array([]), .array([.int(1)]), .array([.string("a")]),
                               .array([.int(1), .string("a")]), .object([:])]
    for _ in 0..<3000 {
        var members: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            members[keys.randomElement(using: &rng)!] = values.randomElement(using: &rng)!
        }
        let text = String(decoding: JSONValue.object(members).serialized(), as: UTF8.self)
        try agree(HelloParams.self, text)
        try agree(ContainerListParams.self, text)
        try agree(AuthResponseParams.self, text)
    }
}
