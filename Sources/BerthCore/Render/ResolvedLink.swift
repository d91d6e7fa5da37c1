/// A network link whose addresses are resolved IP literals, ready to become iptables rules:
/// connections the container makes to `fromAddress:fromPort` go to `toAddress:toPort`.
public struct ResolvedLink: Hashable, Sendable, Codable {
    public var fromAddress: String
    public var fromPort: UInt16
    public var toAddress: String
    public var toPort: UInt16

    public init(fromAddress: String, fromPort: UInt16, toAddress: String, toPort: UInt16) {
        self.fromAddress = fromAddress
        self.fromPort = fromPort
        self.toAddress = toAddress
        self.toPort = toPort
    }

    enum CodingKeys: String, CodingKey { case fromAddress, fromPort, toAddress, toPort }

    public var description: String { "\(fromAddress):\(fromPort) -> \(toAddress):\(toPort)" }
}
