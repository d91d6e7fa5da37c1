import BerthProtocol
import BerthSystem

/// How a request reached the node: the transport and who is on the other end.
public struct RequestContext: Sendable {
    public enum Transport: String, Sendable { case unix, tcp, inProcess }
    public var transport: Transport
    /// SO_PEERCRED of a Unix-socket peer.
    public var peer: PeerCredentials?
    /// The remote address of a TCP peer, as text.
    public var remoteAddress: String?
    /// For a single request on a connection: lets the handler stream notifications after its reply
    /// (`events.subscribe`). Nil inside batches and in process.
    public var notifications: NotificationChannel?
    public init(transport: Transport, peer: PeerCredentials? = nil, remoteAddress: String? = nil,
                notifications: NotificationChannel? = nil) {
        self.transport = transport
        self.peer = peer
        self.remoteAddress = remoteAddress
        self.notifications = notifications
    }
}

/// The node's methods by name. Handlers throw `RPCError` for errors the caller should see with their
/// kind; any other error is reported as `internal` with its description.
///
/// Every part of the node (server basics, the container engine, links, events) contributes its methods
/// through a `MethodProvider`; the server owns one table built at start-up and never mutated after.
public struct MethodTable: Sendable {
    public typealias Handler = @Sendable (RPCRequest, RequestContext) async throws -> JSONValue
    public private(set) var handlers: [String: Handler] = [:]

    public init() {}

    /// Registers a raw handler. A method registered twice is a programming error.
    public mutating func register(_ method: String, _ handler: @escaping Handler) {
        precondition(handlers[method] == nil, "method \(method) registered twice")
        handlers[method] = handler
    }

    /// Registers a typed handler: params decode strictly (unknown keys are `invalid_params`), the result
    /// is encoded to JSON.
    public mutating func register<P: Decodable & Sendable, R: Encodable & Sendable>(
        _ method: String, _ body: @escaping @Sendable (P, RequestContext) async throws -> R
    ) {
        register(method) { request, context in
            let params: P = try request.decodeParams(P.self)
            let result = try await body(params, context)
            return try JSONValueEncoder().encode(result)
        }
    }

    public mutating func merge(_ other: MethodTable) {
        for (name, handler) in other.handlers { register(name, handler) }
    }

    public func handler(for method: String) -> Handler? { handlers[method] }
}

/// A part of the node that serves methods.
public protocol MethodProvider: Sendable {
    func register(into table: inout MethodTable)
}
