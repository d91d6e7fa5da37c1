import BerthProtocol

/// The audit log: one structured line in the node's log for every call that changes something
/// (`x-berth-mutates` in the OpenRPC document), refused ones included, saying who (role, secret name
/// or Unix uid and pid, peer address), what (method, container id, requestId) and the result (`ok`,
/// or the error's kind). Never params beyond those: environment values are secrets.
///
/// The lines are written whatever `--log-level` says: an audit trail that a log level can switch
/// off is no audit trail.
struct Audit: Sendable {
    static let event = "audit"
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// `authenticated` false: a TCP connection that has not proven a secret (yet, or again after a
    /// reload): its role reads `none`, whatever placeholder the principal holds.
    func record(_ request: RPCRequest, by principal: Principal, authenticated: Bool = true, connection: Int, outcome: RPCResponse.Outcome) {
        var fields = principal.auditFields
        if !authenticated { fields[0].1 = "none" }
        fields.append(("connection", "\(connection)"))
        fields.append(("method", request.method))
        if case .string(let id)? = request.params?["id"] { fields.append(("id", id)) }
        if case .string(let requestId)? = request.params?["requestId"] { fields.append(("requestId", requestId)) }
        let result: String
        switch outcome {
        case .error(let error): result = error.kind.rawValue
        default: result = "ok"
        }
        fields.append(("result", result))
        // Straight to the sink: past the level check (see above).
        logger.sink(logger.format(.notice, Audit.event, fields))
    }
}
