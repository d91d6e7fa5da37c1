import Testing
import BerthProtocol

@Test func negotiationPicksTheHighestCommonMajor() throws {
    #expect(try ProtocolVersion.negotiate(clientSpeaks: [1]) == 1)
    #expect(try ProtocolVersion.negotiate(clientSpeaks: [3, 1, 2]) == 1)
    #expect(try ProtocolVersion.negotiate(clientSpeaks: [1, 2, 3], supported: 1...2) == 2)
}

@Test func unsupportedVersionsNameTheSupportedRange() {
    do {
        _ = try ProtocolVersion.negotiate(clientSpeaks: [2, 3], supported: 1...1)
        Issue.record("accepted an unsupported version")
    } catch {
        #expect(error.kind == .unsupportedVersion)
        #expect(error.code == -32006)
        #expect(error.data["supported"] == ["min": 1, "max": 1])
        #expect(error.message.contains("1...1"))
    }
    #expect(throws: RPCError.self) { try ProtocolVersion.negotiate(clientSpeaks: []) }
}

@Test func everyKindHasAUniqueCodeInItsRange() {
    let codes = ErrorKind.codes.map(\.code)
    #expect(Set(codes).count == codes.count)
    #expect(Set(ErrorKind.codes.map(\.kind)).count == codes.count)
    for (kind, code) in ErrorKind.codes {
        #expect(kind.code == code)
        #expect(ErrorKind.forCode(code) == kind)
        #expect((-32099 ... -32000).contains(code) || [-32700, -32600, -32601, -32602, -32603].contains(code), "\(kind)")
        #expect(kind.rawValue.allSatisfy { $0.isLowercase || $0 == "_" })
    }
    for kind in ["not_found", "already_exists", "invalid_identifier", "invalid_params", "port_unavailable", "unauthorized",
                 "unsupported_version", "busy", "timeout", "systemd_failed", "runtime_failed", "link_failed",
                 "cursor_expired", "line_too_long", "parse_error", "invalid_request", "method_not_found", "internal", "conflict"] {
        #expect(ErrorKind.codes.contains { $0.kind.rawValue == kind }, "\(kind) missing")
    }
    #expect(ErrorKind("brand_new").code == -32000)
}

@Test func errorObjectsRoundTripThroughTheWire() throws {
    let e = RPCError(.notFound, "container \"web\" is not installed", details: ["id": "web"])
    let line = RPCFrame.encode(.failure(id: 9, error: e))
    #expect(text(line) == #"{"error":{"code":-32001,"data":{"id":"web","kind":"not_found"},"message":"container \"web\" is not installed"},"id":9,"jsonrpc":"2.0"}"# + "\n")
    guard case .response(let r) = try RPCFrame.decodeFromNode(Array(line.dropLast())) else {
        Issue.record("not a response")
        return
    }
    #expect(r.error == e)
    #expect(r.id == 9)
    // A foreign server's bare error still gets a kind from its code.
    let bare = try RPCError(jsonValue: ["code": -32601, "message": "Method not found"])
    #expect(bare.kind == .methodNotFound)
}

@Test func docsListTheSameKindTable() throws {
    let doc = try readRepoFile("docs/protocol.md")
    for (kind, code) in ErrorKind.codes {
        #expect(doc.contains("| `\(kind.rawValue)` | \(code) |"), "docs/protocol.md lacks the row for \(kind)")
    }
}
