import BerthProtocol

/// Why a network link (or its text form) was refused.
public typealias NetworkLinkError = InvalidInput<NetworkLink>

extension NetworkLink: InvalidInputSubject {
    public static let inputNoun = "network link"
}
