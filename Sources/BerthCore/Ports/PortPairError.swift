import BerthProtocol

/// Why a port pair (or its text form) was refused.
public typealias PortPairError = InvalidInput<PortPair>

extension PortPair: InvalidInputSubject {
    public static let inputNoun = "port mapping"
}
