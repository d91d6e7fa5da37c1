/// The catalogue of v1 methods. Protocol/berth.openrpc.json describes exactly these (a test keeps the
/// two equal); adding one is an additive change, removing or renaming one needs a new major version.
public struct MethodName: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public static let nodeHello: MethodName = "node.hello"
    public static let nodeInfo: MethodName = "node.info"
    public static let nodePing: MethodName = "node.ping"
    public static let rpcDiscover: MethodName = "rpc.discover"
    public static let authChallenge: MethodName = "auth.challenge"
    public static let authResponse: MethodName = "auth.response"
    public static let containerInstall: MethodName = "container.install"
    public static let containerStart: MethodName = "container.start"
    public static let containerStop: MethodName = "container.stop"
    public static let containerRestart: MethodName = "container.restart"
    public static let containerDelete: MethodName = "container.delete"
    public static let containerStatus: MethodName = "container.status"
    public static let containerList: MethodName = "container.list"
    public static let containerPorts: MethodName = "container.ports"
    public static let containerEnvGet: MethodName = "container.env.get"
    public static let containerEnvSet: MethodName = "container.env.set"
    public static let containerEnvPatch: MethodName = "container.env.patch"
    public static let containerLinksGet: MethodName = "container.links.get"
    public static let containerLinksSet: MethodName = "container.links.set"
    public static let containerLinksAdd: MethodName = "container.links.add"
    public static let containerLinksRemove: MethodName = "container.links.remove"
    public static let containerLogs: MethodName = "container.logs"
    public static let eventsSubscribe: MethodName = "events.subscribe"
    public static let eventsUnsubscribe: MethodName = "events.unsubscribe"

    /// Every v1 method, in documentation order.
    public static let all: [MethodName] = [
        .nodeHello, .nodeInfo, .nodePing, .rpcDiscover, .authChallenge, .authResponse,
        .containerInstall, .containerStart, .containerStop, .containerRestart, .containerDelete,
        .containerStatus, .containerList, .containerPorts, .containerEnvGet, .containerEnvSet,
        .containerEnvPatch, .containerLinksGet, .containerLinksSet,
        .containerLinksAdd, .containerLinksRemove, .containerLogs, .eventsSubscribe, .eventsUnsubscribe,
    ]

    /// Notifications the node sends (not methods a client calls).
    public static let eventsEvent: MethodName = "events.event"
    /// New lines of a log followed with `container.logs {follow: true}`.
    public static let containerLog: MethodName = "container.log"
}
