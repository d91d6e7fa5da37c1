import BerthDBus
import BerthSystem

extension SystemdManagerBus {
    /// Which job operation `runJob` performs.
    public enum JobOperation: String, Hashable, Sendable {
        case start = "StartUnit"
        case stop = "StopUnit"
        case restart = "RestartUnit"
    }

    /// Every JobRemoved signal from now on (call `subscribe()` once first).
    public func jobRemovedEvents() -> AsyncStream<SystemdJobRemoved> {
        signals(Self.jobRemovedRule) { SystemdJobRemoved($0) }
    }

    /// Every PropertiesChanged signal of a unit object from now on (call `subscribe()` once first).
    public func unitStateChanges() -> AsyncStream<SystemdUnitStateChange> {
        signals(DBusMatchRule(interface: SystemdInterface.properties, member: "PropertiesChanged",
                              pathNamespace: "/org/freedesktop/systemd1/unit")) { SystemdUnitStateChange($0) }
    }

    /// Every UnitRemoved signal's unit name from now on (call `subscribe()` once first).
    public func unitRemovedEvents() -> AsyncStream<String> {
        signals(DBusMatchRule(interface: SystemdInterface.manager, member: "UnitRemoved", path: SystemdPath.manager)) {
            if case .string(let name)? = $0.body.first { name } else { nil }
        }
    }

    static let jobRemovedRule = DBusMatchRule(interface: SystemdInterface.manager, member: "JobRemoved", path: SystemdPath.manager)

    /// The messages matching `rule` that `decode` accepts, as a stream that ends with the connection
    /// and stops listening when its consumer goes away.
    private func signals<Event: Sendable>(_ rule: DBusMatchRule,
                                          _ decode: @escaping @Sendable (DBusMessage) -> Event?) -> AsyncStream<Event> {
        let messages = connection.messages(matching: rule)
        return AsyncStream { continuation in
            let task = Task {
                for await message in messages {
                    if let event = decode(message) { continuation.yield(event) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Queues a job and waits for its JobRemoved signal, returning it (`result` says `done`, `failed`,
    /// ...). Needs `subscribe()` to have been called on this connection. Listens before it calls, so
    /// a job that finishes before the call's reply arrives is not missed.
    public func runJob(_ operation: JobOperation, unit: String, mode: SystemdJobMode = .replace,
                       timeout: Duration = .seconds(90)) async throws -> SystemdJobRemoved {
        try await runJobInOrder(operation, unit: unit, mode: mode, timeout: timeout).removed
    }

    /// `runJob`, with the serial systemd gave the JobRemoved signal: a mirror of this connection's
    /// signals that has applied that serial has seen everything the job changed. The one wait for a
    /// job's end in the project.
    public func runJobInOrder(_ operation: JobOperation, unit: String, mode: SystemdJobMode = .replace,
                              timeout: Duration = .seconds(90)) async throws -> (removed: SystemdJobRemoved, serial: UInt32) {
        let messages = connection.messages(matching: Self.jobRemovedRule)
        let job = try objectPath(try await callManager(operation.rawValue, [.string(unit), .string(mode.rawValue)]),
                                 operation.rawValue)
        let connection = connection
        return try await withTimeout(timeout, orThrow: {
            DBusError.noReply("JobRemoved for \(job) (\(operation.rawValue) \(unit))", after: timeout)
        }) {
            for await message in messages {
                if let removed = SystemdJobRemoved(message), removed.jobPath == job { return (removed, message.serial) }
            }
            throw connection.closeReason ?? DBusError.disconnected("signal stream ended")
        }
    }
}
