import BerthProtocol
import BerthSystem

/// The node's TCP secrets as they are now: replaced as a whole when SIGHUP reloads the secret file.
/// The generation tells a connection that checked its secret against an older ring to check again.
final class SecretStore: Sendable {
    struct Snapshot: Sendable {
        let generation: Int
        let keyring: AuthKeyring
    }

    private let state: Lock<Snapshot>

    init(_ keyring: AuthKeyring) {
        state = Lock(Snapshot(generation: 0, keyring: keyring))
    }

    var current: Snapshot { state.withLock { $0 } }

    var generation: Int { state.withLock { $0.generation } }

    func replace(with keyring: AuthKeyring) {
        state.withLock { $0 = Snapshot(generation: $0.generation + 1, keyring: keyring) }
    }
}
