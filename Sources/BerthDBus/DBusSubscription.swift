/// Incoming messages matching a rule (`DBusConnection.subscription(matching:)`) and how many have
/// been delivered to `messages` so far. A consumer that counts what it has taken out can tell
/// whether it has caught up with a moment: make a call, read `delivered` once the reply is in, and
/// wait until it has taken that many.
public struct DBusSubscription: Sendable {
    public let messages: DBusMessages

    /// Messages delivered to `messages` since the subscription began.
    public var delivered: Int { messages.queue.delivered }
}
