import Synchronization

/// Incoming messages matching a rule (`DBusConnection.subscription(matching:)`) and how many have
/// been delivered to `messages` so far. A consumer that counts what it has taken out can tell
/// whether it has caught up with a moment: make a call, read `delivered` once the reply is in, and
/// wait until it has taken that many.
public struct DBusSubscription: Sendable {
    public let messages: AsyncStream<DBusMessage>
    let count: DeliveryCount

    /// Messages yielded to `messages` since the subscription began (a stream that drops messages
    /// under its buffering policy counts them too).
    public var delivered: Int { count.value }
}

final class DeliveryCount: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
    func add() { count.add(1, ordering: .releasing) }
}
