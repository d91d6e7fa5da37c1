extension SystemdManagerBus {
    /// Which job operation `runJob` performs.
    public enum JobOperation: String, Hashable, Sendable {
        case start = "StartUnit"
        case stop = "StopUnit"
        case restart = "RestartUnit"
    }

    /// Every JobRemoved signal from now on (call `subscribe()` once first).
    public func jobRemovedEvents() -> AsyncStream<SystemdJobRemoved> {
        let messages = connection.messages(matching: DBusMatchRule(interface: Self.managerInterface, member: "JobRemoved",
                                                                   path: SystemdPath.manager))
        return AsyncStream { continuation in
            let task = Task {
                for await message in messages {
                    if let job = SystemdJobRemoved(message) { continuation.yield(job) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Every PropertiesChanged signal of a unit object from now on (call `subscribe()` once first).
    public func unitStateChanges() -> AsyncStream<SystemdUnitStateChange> {
        let messages = connection.messages(matching: DBusMatchRule(interface: Self.propertiesInterface, member: "PropertiesChanged",
                                                                   pathNamespace: "/org/freedesktop/systemd1/unit"))
        return AsyncStream { continuation in
            let task = Task {
                for await message in messages {
                    if let change = SystemdUnitStateChange(message) { continuation.yield(change) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Every UnitRemoved signal's unit name from now on (call `subscribe()` once first).
    public func unitRemovedEvents() -> AsyncStream<String> {
        let messages = connection.messages(matching: DBusMatchRule(interface: Self.managerInterface, member: "UnitRemoved",
                                                                   path: SystemdPath.manager))
        return AsyncStream { continuation in
            let task = Task {
                for await message in messages {
                    if case .string(let name)? = message.body.first { continuation.yield(name) }
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
        let messages = connection.messages(matching: DBusMatchRule(interface: Self.managerInterface, member: "JobRemoved",
                                                                   path: SystemdPath.manager))
        let job = try objectPath(try await callManager(operation.rawValue, [.string(unit), .string(mode.rawValue)]),
                                 operation.rawValue)
        let removed = try await withThrowingTaskGroup(of: SystemdJobRemoved?.self) { group in
            group.addTask {
                for await message in messages {
                    if let removed = SystemdJobRemoved(message), removed.jobPath == job { return removed }
                }
                throw self.connection.closeReason ?? DBusError.disconnected("signal stream ended")
            }
            group.addTask { try await Task.sleep(for: timeout); return nil }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        guard let removed else { throw DBusError.noReply("JobRemoved for \(job) (\(operation.rawValue) \(unit))", after: timeout) }
        return removed
    }
}
