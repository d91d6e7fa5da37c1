/// A request id: a string, a number, or null (JSON-RPC 2.0 allows all three; a response echoes it).
/// Fractional numbers are allowed by the spec (discouraged) and are echoed as they came.
public enum RPCID: Hashable, Sendable, CustomStringConvertible {
    case int(Int64)
    case double(Double)
    case string(String)
    case null

    public init?(jsonValue: JSONValue) {
        switch jsonValue {
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .null: self = .null
        default: return nil
        }
    }

    public var jsonValue: JSONValue {
        switch self {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .null: return .null
        }
    }

    public var description: String { jsonValue.description }
}

extension RPCID: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }
}
