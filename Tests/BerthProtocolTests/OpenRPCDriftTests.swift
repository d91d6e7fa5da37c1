import Testing
import BerthProtocol

// The OpenRPC document and the Swift params/result types must not drift apart. For every method,
// a value built from the document's schema (every member present, a valid value each) goes through
// the decoder the node and the clients use, and then each member is taken away, and given a value
// of another JSON type, at every depth:
//   - the full value decodes (with unknown keys refused, as the node reads params): every
//     documented member is one the Swift type reads, with a JSON type it accepts;
//   - without a member it decodes exactly when the document does not list it as required;
//   - with a value of another JSON type it never decodes (the Swift type is no looser than the
//     document: a string member is not an integer one);
//   - encoded again it is the same value: the Swift type writes every documented member under its
//     documented name and nothing more.
// A map's documented entries are checked for their type only. The member names the Swift types may add beyond the document are checked by the name tests in
// OpenRPCDocumentTests (they encode fully populated values).

/// The Swift types of each method's params and result; nil where the method has no params, or its
/// result has no Swift type of its own (`rpc.discover` answers with the document itself).
private struct MethodTypes {
    var params: (any Codable.Type)?
    var result: (any Codable.Type)?
}

private var methodTypes: [MethodName: MethodTypes] { [
    .nodeHello: MethodTypes(params: HelloParams.self, result: HelloResult.self),
    .nodeInfo: MethodTypes(params: nil, result: NodeInfo.self),
    .nodePing: MethodTypes(params: PingParams.self, result: PingResult.self),
    .rpcDiscover: MethodTypes(params: nil, result: nil),
    .authChallenge: MethodTypes(params: nil, result: AuthChallenge.self),
    .authResponse: MethodTypes(params: AuthResponseParams.self, result: AuthResponseResult.self),
    .containerInstall: MethodTypes(params: ContainerInstallParams.self, result: ContainerStatus.self),
    .containerStart: MethodTypes(params: ContainerRefParams.self, result: ContainerStatus.self),
    .containerStop: MethodTypes(params: ContainerStopParams.self, result: ContainerStatus.self),
    .containerRestart: MethodTypes(params: ContainerRefParams.self, result: ContainerStatus.self),
    .containerDelete: MethodTypes(params: ContainerRefParams.self, result: DoneResult.self),
    .containerStatus: MethodTypes(params: ContainerRefParams.self, result: ContainerStatus.self),
    .containerList: MethodTypes(params: ContainerListParams.self, result: ContainerListResult.self),
    .containerPorts: MethodTypes(params: ContainerRefParams.self, result: ContainerPortsResult.self),
    .containerEnvGet: MethodTypes(params: ContainerRefParams.self, result: ContainerEnvResult.self),
    .containerEnvSet: MethodTypes(params: ContainerEnvSetParams.self, result: ContainerEnvResult.self),
    .containerEnvPatch: MethodTypes(params: ContainerEnvPatchParams.self, result: ContainerEnvResult.self),
    .containerLinksGet: MethodTypes(params: ContainerRefParams.self, result: ContainerLinksResult.self),
    .containerLinksSet: MethodTypes(params: ContainerLinksSetParams.self, result: ContainerLinksResult.self),
    .containerLinksAdd: MethodTypes(params: ContainerLinkAddParams.self, result: ContainerLinksResult.self),
    .containerLinksRemove: MethodTypes(params: ContainerLinkRemoveParams.self, result: ContainerLinksResult.self),
    .containerLogs: MethodTypes(params: ContainerLogsParams.self, result: ContainerLogsResult.self),
    .eventsSubscribe: MethodTypes(params: EventsSubscribeParams.self, result: EventsSubscribeResult.self),
    .eventsUnsubscribe: MethodTypes(params: EventsUnsubscribeParams.self, result: DoneResult.self),
] }

/// Reads the document's schemas: `$ref`s resolved, a valid value for each, the members of objects.
struct SchemaReader {
    let document: JSONValue

    func resolve(_ schema: JSONValue) -> JSONValue {
        guard let ref = schema["$ref"]?.stringValue, ref.hasPrefix("#/") else { return schema }
        var node = document
        for part in ref.dropFirst(2).split(separator: "/") { node = node[String(part)] ?? .null }
        return resolve(node)
    }

    /// The schema's JSON type: its `type`, the type of its `const` or first `enum` value, "several"
    /// for a `oneOf`/`anyOf` without a type; nil when it takes any JSON value.
    func type(_ raw: JSONValue) -> String? {
        let schema = resolve(raw)
        if let type = schema["type"]?.stringValue { return type }
        if let value = schema["const"] ?? schema["enum"]?[0] {
            switch value {
            case .string: return "string"
            case .bool: return "boolean"
            case .int: return "integer"
            default: return nil
            }
        }
        return schema["oneOf"] != nil || schema["anyOf"] != nil ? "several" : nil
    }

    /// A value the schema allows, every member of every object present (the first alternative of a
    /// `oneOf`/`anyOf` without a type).
    func sample(_ raw: JSONValue) -> JSONValue {
        let schema = resolve(raw)
        if let value = schema["const"] ?? schema["enum"]?[0] { return value }
        if schema["type"] == nil, let first = (schema["oneOf"] ?? schema["anyOf"])?[0] { return sample(first) }
        switch schema["type"]?.stringValue {
        case "object":
            if let properties = schema["properties"]?.objectValue {
                return .object(properties.mapValues(sample))
            }
            if let values = schema["additionalProperties"], values.objectValue != nil { return .object(["k": sample(values)]) }
            return .object([:])
        case "array": return .array([sample(schema["items"] ?? .object([:]))])
        case "integer":
            let low = schema["minimum"]?.intValue ?? 1
            return .int(Swift.max(low, Swift.min(1, schema["maximum"]?.intValue ?? 1)))
        case "number": return .double(1.5)
        case "boolean": return .bool(true)
        case "string": return .string("a")
        default: return .object([:])
        }
    }

    /// The object schema of a method's params: the documented params as its members.
    static func paramsSchema(_ method: JSONValue) -> JSONValue {
        let params = method["params"]?.arrayValue ?? []
        var properties: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        for param in params {
            guard let name = param["name"]?.stringValue else { continue }
            properties[name] = param["schema"] ?? .object([:])
            if param["required"]?.boolValue == true { required.append(.string(name)) }
        }
        return .object(["type": "object", "properties": .object(properties), "required": .array(required)])
    }
}

/// One documented member somewhere inside a value: where it is, and what the document says of it.
struct MemberSite {
    var path: [String]  // object keys; "0" steps into an array's element
    /// Nil for an entry of a map (an object with `additionalProperties`, a dictionary in Swift): which
    /// keys it holds is up to the node filling it, not the type.
    var required: Bool?
    var type: String?
}

extension SchemaReader {
    /// Every member of every object the schema describes (not the entries of a map).
    func members(_ raw: JSONValue, at path: [String] = []) -> [MemberSite] {
        let schema = resolve(raw)
        if schema["type"] == nil, let first = (schema["oneOf"] ?? schema["anyOf"])?[0] { return members(first, at: path) }
        switch schema["type"]?.stringValue {
        case "object":
            let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            let map = schema["additionalProperties"]?.objectValue != nil
            var out: [MemberSite] = []
            for (name, member) in (schema["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                out.append(MemberSite(path: path + [name], required: map ? nil : required.contains(name), type: type(member)))
                out += members(member, at: path + [name])
            }
            return out
        case "array": return members(schema["items"] ?? .object([:]), at: path + ["0"])
        default: return []
        }
    }
}

extension JSONValue {
    /// This value with the member at `path` replaced by `new` (removed when nil).
    func replacing(_ path: ArraySlice<String>, with new: JSONValue?) -> JSONValue {
        guard let key = path.first else { return new ?? .null }
        switch self {
        case .object(var members):
            if path.count == 1 { members[key] = new } else { members[key] = members[key]?.replacing(path.dropFirst(), with: new) }
            return .object(members)
        case .array(var elements):
            if let i = Int(key), elements.indices.contains(i) { elements[i] = elements[i].replacing(path.dropFirst(), with: new) }
            return .array(elements)
        default: return self
        }
    }
}

/// A value of another JSON type than `type` ("several": of none of them; nil when any value goes).
private func wrongValue(for type: String?) -> JSONValue? {
    switch type {
    case nil: return nil
    case "string": return .int(7)
    case "integer": return .double(1.5)
    case "number", "boolean", "array", "object": return .string("x")
    default: return .bool(true)
    }
}

/// What is wrong between the schema and `T`, one line per disagreement (empty when they agree).
func drift<T: Codable>(_ type: T.Type, schema: JSONValue, reader: SchemaReader, strict: Bool) -> [String] {
    let decoder = JSONValueDecoder(rejectUnknownKeys: strict)
    func decodes(_ value: JSONValue) -> Bool { (try? decoder.decode(T.self, from: value)) != nil }
    let full = reader.sample(schema)
    var problems: [String] = []
    do {
        let decoded = try decoder.decode(T.self, from: full)
        let encoded = try JSONValueEncoder().encode(decoded)
        if encoded != full { problems.append("encodes \(encoded), the document's members are \(full)") }
    } catch {
        return ["does not decode the documented members \(full): \(DecodingPath.describe(error))"]
    }
    for site in reader.members(schema) {
        let name = site.path.joined(separator: ".")
        let without = full.replacing(site.path[...], with: nil)
        if let required = site.required, decodes(without) == required {
            problems.append("\(name): the document says \(required ? "required" : "optional"), the Swift type \(required ? "does without it" : "requires it")")
        }
        if let wrong = wrongValue(for: site.type), decodes(full.replacing(site.path[...], with: wrong)) {
            problems.append("\(name): the document says \(site.type ?? "any"), the Swift type accepts \(wrong)")
        }
    }
    return problems
}

@Test func everyMethodHasItsSwiftTypesListed() throws {
    #expect(Set(methodTypes.keys) == Set(MethodName.all))
}

@Test(arguments: MethodName.all)
func paramsAndResultAgreeWithTheDocument(_ method: MethodName) throws {
    let document = OpenRPCDocument.value
    let reader = SchemaReader(document: document)
    let entry = try #require((document["methods"]?.arrayValue ?? []).first { $0["name"]?.stringValue == method.rawValue })
    let types = try #require(methodTypes[method])
    let params = SchemaReader.paramsSchema(entry)
    if let paramsType = types.params {
        func check<T: Codable>(_ type: T.Type) -> [String] { drift(type, schema: params, reader: reader, strict: true) }
        for problem in check(paramsType) { Issue.record("\(method) params: \(problem)") }
    } else {
        #expect(params["properties"]?.objectValue?.isEmpty == true, "\(method) documents params but has no Swift params type")
    }
    if let resultType = types.result {
        func check<T: Codable>(_ type: T.Type) -> [String] {
            drift(type, schema: entry["result"]?["schema"] ?? .null, reader: reader, strict: false)
        }
        for problem in check(resultType) { Issue.record("\(method) result: \(problem)") }
    }
}

/// The checks above would see drift: a document changed on one side fails them.
@Test func aDriftedDocumentIsSeen() throws {
    let reader = SchemaReader(document: OpenRPCDocument.value)
    let status = reader.resolve(["$ref": "#/components/schemas/ContainerStatus"])
    #expect(drift(ContainerStatus.self, schema: status, reader: reader, strict: false).isEmpty)
    func changed(_ path: [String], _ value: JSONValue?) -> JSONValue { status.replacing(path[...], with: value) }
    // A member made optional, one made required, a type changed, a member renamed.
    let required = (status["required"]?.arrayValue ?? []).filter { $0 != "image" }
    #expect(!drift(ContainerStatus.self, schema: changed(["required"], .array(required)), reader: reader, strict: false).isEmpty)
    #expect(!drift(ContainerStatus.self, schema: changed(["required"], .array(required + ["image", "subState"])), reader: reader,
                   strict: false).isEmpty)
    #expect(!drift(ContainerStatus.self, schema: changed(["properties", "enabled"], ["type": "string"]), reader: reader,
                   strict: false).isEmpty)
    let renamed = changed(["properties", "mainPid"], ["type": "integer"]).replacing(["properties", "mainPID"], with: nil)
    #expect(!drift(ContainerStatus.self, schema: renamed, reader: reader, strict: false).isEmpty)
}
