/// One unit file: its name (the file name in the unit directory) and its full text.
public struct RenderedUnit: Hashable, Sendable, Codable {
    public let name: String
    public let text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    enum CodingKeys: String, CodingKey { case name, text }
}

/// Every unit file that belongs to one container.
public struct ContainerUnits: Hashable, Sendable {
    /// `ctr-<id>.service`
    public var service: RenderedUnit
    /// One `ctr-<id>@<port>.socket` per external port (socket activation only).
    public var sockets: [RenderedUnit]
    /// One `ctr-<id>@<port>.service` proxy per external port (socket activation only).
    public var proxies: [RenderedUnit]

    /// All of them, service first: the order to write them in.
    public var all: [RenderedUnit] { [service] + sockets + proxies }
}
