/// Params that recognise their usual, valid shapes without Codable. Every connection decodes
/// `node.hello`'s params, and every `berth ps` a `container.list`'s: through `JSONValueDecoder` that was
/// ~14% of a node's CPU for a one-shot connection (`perf` during Scripts/bench/connections).
///
/// `direct(_:)` returns nil whenever it is not sure (a member it does not know, a type it does not
/// expect, a `null`): `RPCRequest.decodeParams` then takes the Codable path, which gives the same value
/// or the same error it always gave. So a direct decoder only has to agree with Codable on what it
/// accepts; the tests hold each to that.
public protocol DirectParams: Decodable {
    static func direct(_ members: [String: JSONValue]) -> Self?
}

fileprivate extension JSONValue {
    /// The strings of an array of strings; nil for anything else.
    var directStrings: [String]? {
        guard case .array(let elements) = self else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let s) = element else { return nil }
            strings.append(s)
        }
        return strings
    }
}

extension HelloParams: DirectParams {
    public static func direct(_ members: [String: JSONValue]) -> HelloParams? {
        guard members.count <= 2, case .array(let elements)? = members["protocols"] else { return nil }
        var protocols: [Int] = []
        protocols.reserveCapacity(elements.count)
        for element in elements {
            guard case .int(let major) = element, let major = Int(exactly: major) else { return nil }
            protocols.append(major)
        }
        switch (members.count, members["client"]) {
        case (1, nil): return HelloParams(protocols: protocols)
        case (2, .string(let client)?): return HelloParams(protocols: protocols, client: client)
        default: return nil
        }
    }
}

extension ContainerListParams: DirectParams {
    public static func direct(_ members: [String: JSONValue]) -> ContainerListParams? {
        var params = ContainerListParams()
        for (key, value) in members {
            switch (key, value) {
            case ("state", .string(let state)): params.state = state
            case ("ids", let ids): guard let ids = ids.directStrings else { return nil }; params.ids = ids
            default: return nil
            }
        }
        return params
    }
}

extension AuthResponseParams: DirectParams {
    public static func direct(_ members: [String: JSONValue]) -> AuthResponseParams? {
        guard case .string(let clientNonce)? = members["clientNonce"], case .string(let response)? = members["response"] else { return nil }
        // The common shapes: plain, with a keyId, with the channel's publicKey, with both.
        var keyId: String?
        var publicKey: String?
        var count = 2
        if let raw = members["keyId"] { guard case .string(let id) = raw else { return nil }; keyId = id; count += 1 }
        if let raw = members["publicKey"] { guard case .string(let key) = raw else { return nil }; publicKey = key; count += 1 }
        guard members.count == count else { return nil }
        return AuthResponseParams(clientNonce: clientNonce, response: response, keyId: keyId, publicKey: publicKey)
    }
}
