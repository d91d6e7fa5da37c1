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
    /// Who asked, with their role (the connection's when the request was read).
    public var principal: Principal
    public init(transport: Transport, peer: PeerCredentials? = nil, remoteAddress: String? = nil,
                notifications: NotificationChannel? = nil, principal: Principal = .inProcess) {
        self.transport = transport
        self.peer = peer
        self.remoteAddress = remoteAddress
        self.notifications = notifications
        self.principal = principal
    }
}

/// The node's methods by name. Handlers throw `RPCError` for errors the caller should see with their
/// kind; any other error is reported as `internal` with its description.
///
/// Every part of the node (server basics, the container engine, links, events) contributes its methods
/// through a `MethodProvider`; the server owns one table built at start-up and never mutated after.
public struct MethodTable: Sendable {
    public typealias Handler = @Sendable (RPCRequest, RequestContext) async throws -> JSONValue
    /// A handler that writes its result straight to bytes (`container.list`).
    public typealias EncodedHandler = @Sendable (RPCRequest, RequestContext) async throws -> EncodedJSON
    /// A handler that answers at once, on the thread that read the request (see `registerImmediate`).
    public typealias ImmediateHandler = @Sendable (RPCRequest, RequestContext) throws(RPCError) -> JSONValue

    /// Where a handler's task starts.
    public enum Placement: Sendable {
        /// The global pool (the default): the handler may compute or block for a while, and the
        /// connection's event-loop thread serves every other socket meanwhile.
        case pool
        /// The connection's own thread (the event loop), with no hop to the pool and back: for reads
        /// answered from memory. A handler placed here whose work can grow must move itself to the
        /// pool when it does (`container.list` on a big node does).
        case connection
    }

    enum Entry: Sendable {
        case value(Handler, Placement)
        case encoded(EncodedHandler, Placement)
        case immediate(ImmediateHandler)
    }

    /// Each handler with the access its method needs (`MethodAccess`, from the OpenRPC document),
    /// looked up once here so a request costs one dictionary lookup for both.
    private var entries: [String: (entry: Entry, access: MethodAccess)] = [:]

    public init() {}

    /// Registers a raw handler. A method registered twice is a programming error.
    public mutating func register(_ method: String, on placement: Placement = .pool, _ handler: @escaping Handler) {
        add(method, .value(handler, placement))
    }

    /// Registers a raw handler whose result is already serialized.
    public mutating func registerEncoded(_ method: String, on placement: Placement = .pool, _ handler: @escaping EncodedHandler) {
        add(method, .encoded(handler, placement))
    }

    /// Registers a handler the connection runs as soon as it reads the request, on its own thread,
    /// without a task (`node.hello`, `node.ping`): a connection's first call then costs no hop to the
    /// pool and back. Only for handlers that never block or wait and whose work does not grow with the
    /// node (a slow one would hold up every socket of the event loop).
    public mutating func registerImmediate(_ method: String, _ handler: @escaping ImmediateHandler) {
        add(method, .immediate(handler))
    }

    /// Registers a typed handler: params decode strictly (unknown keys are `invalid_params`), the result
    /// is encoded to JSON.
    public mutating func register<P: Decodable & Sendable, R: Encodable & Sendable>(
        _ method: String, on placement: Placement = .pool, _ body: @escaping @Sendable (P, RequestContext) async throws -> R
    ) {
        register(method, on: placement) { request, context in
            let params: P = try request.decodeParams(P.self)
            let result = try await body(params, context)
            return try JSONValueEncoder().encode(result)
        }
    }

    /// Registers a typed handler that serializes its own result.
    public mutating func registerEncoded<P: Decodable & Sendable>(
        _ method: String, on placement: Placement = .pool, _ body: @escaping @Sendable (P, RequestContext) async throws -> EncodedJSON
    ) {
        registerEncoded(method, on: placement) { request, context in
            try await body(try request.decodeParams(P.self), context)
        }
    }

    public mutating func merge(_ other: MethodTable) {
        for (name, value) in other.entries { add(name, value.entry) }
    }

    private mutating func add(_ method: String, _ entry: Entry) {
        precondition(entries[method] == nil, "method \(method) registered twice")
        entries[method] = (entry, MethodAccess.of(method))
    }

    /// What the connection does with a request for `method`, and the access the method needs.
    enum Route {
        case unknown
        case immediate(ImmediateHandler, MethodAccess)
        case task(Placement, MethodAccess)
    }

    func route(_ method: String) -> Route {
        guard let (entry, access) = entries[method] else { return .unknown }
        switch entry {
        case .immediate(let handler): return .immediate(handler, access)
        case .value(_, let placement), .encoded(_, let placement): return .task(placement, access)
        }
    }

    /// Runs the handler of `request.method`: nil when there is none; throws what the handler throws.
    public func call(_ request: RPCRequest, context: RequestContext) async throws -> RPCResponse.Outcome? {
        switch entries[request.method]?.entry {
        case nil: return nil
        case .value(let handler, _): return .result(try await handler(request, context))
        case .encoded(let handler, _): return .encodedResult(try await handler(request, context))
        case .immediate(let handler): return .result(try handler(request, context))
        }
    }
}

/// A part of the node that serves methods.
public protocol MethodProvider: Sendable {
    func register(into table: inout MethodTable)
}
