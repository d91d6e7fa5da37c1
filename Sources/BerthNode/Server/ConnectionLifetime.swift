import BerthSystem

/// The end of a connection's input, with the actions waiting for it.
final class ConnectionLifetime: Sendable {
    private let state = Lock<(ended: Bool, actions: [@Sendable () -> Void])>((false, []))

    func onEnd(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.ended { return true }
            s.actions.append(action)
            return false
        }
        if now { action() }
    }

    func end() {
        let actions = state.withLock { s -> [@Sendable () -> Void] in
            s.ended = true
            defer { s.actions = [] }
            return s.actions
        }
        for action in actions { action() }
    }
}
