/// Params of `container.links.add`: adds one link, replacing the container's link from the same
/// `fromHost:fromPort` (a missing `fromHost` is 127.0.0.1) and keeping every other. The node makes
/// the change under the container's lock, so concurrent adds and removes on one container all land
/// (a client-side read, merge and `links.set` could drop a concurrent change).
public struct ContainerLinkAddParams: Codable, Hashable, Sendable {
    public var id: String
    public var link: LinkSpec
    public var requestId: String?
    public init(id: String, link: LinkSpec, requestId: String? = nil) {
        self.id = id
        self.link = link
        self.requestId = requestId
    }
}

/// Params of `container.links.remove`: removes the container's link from `fromHost:fromPort`
/// (a missing `fromHost` is 127.0.0.1); `not_found` when it has none from there.
public struct ContainerLinkRemoveParams: Codable, Hashable, Sendable {
    public var id: String
    public var fromHost: String?
    public var fromPort: UInt16
    public var requestId: String?
    public init(id: String, fromHost: String? = nil, fromPort: UInt16, requestId: String? = nil) {
        self.id = id
        self.fromHost = fromHost
        self.fromPort = fromPort
        self.requestId = requestId
    }
}
