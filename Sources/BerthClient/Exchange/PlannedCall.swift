import BerthProtocol

/// One call of a planned exchange with a node: what to send, and what the answer is about.
public struct PlannedCall: Sendable {
    public var method: String
    public var params: JSONValue?
    /// What the call is about (a container id when a command takes several); the caller's, not sent.
    public var label: String?

    public init(_ method: MethodName, params: JSONValue? = nil, label: String? = nil) {
        self.init(method: method.rawValue, params: params, label: label)
    }

    public init(method: String, params: JSONValue? = nil, label: String? = nil) {
        self.method = method
        self.params = params
        self.label = label
    }
}

/// A node's answer to one planned call, and the time from sending the call to reading the answer.
public struct CallAnswer: Sendable {
    public var call: PlannedCall
    public var response: RPCResponse
    public var roundTrip: Duration
}
