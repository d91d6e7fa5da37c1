import BerthProtocol

/// `berth events [--follow] [--since CURSOR]`
public struct EventsCommand: BerthCommand {
    public static let spec = CommandSpec(
        "events", abstract: "Show container events: every container's state, or what changed since a cursor; --follow streams.",
        options: [
            OptionSpec("-f", "--follow", help: "keep streaming changes"),
            OptionSpec("--since", value: "CURSOR", help: """
                resume after CURSOR (<epoch>.<seq>); fails with cursor_expired when the node
                restarted or no longer has it: run without --since to relist
                """),
            OptionSpec("--id", value: "ID", repeatable: true, help: "only this container (repeatable)"),
            OptionSpec("--heartbeat", value: "SECS", help: "heartbeat interval asked of the node (default 15)"),
        ],
        discussion: """
            Without --since: each container's current state (a snapshot), one line each. With --since: the
            events after CURSOR (as printed in the CURSOR column; one node only). --follow then keeps
            printing changes as they happen until interrupted. Lines from several nodes are merged in time
            order (with --follow, in the order they arrive) and name their node.

            Lines: TIME NODE ID EVENT STATE CURSOR; a snapshot line's EVENT is in parentheses (a state,
            not a change). --json prints each events.event notification's event object with a "node"
            member, one per line.
            """)
    var options = GlobalOptions()
    var follow = false
    var since: EventCursor?
    var ids: [String] = []
    var heartbeat: Double?

    public init(_ parsed: ParsedArguments) throws(UsageError) {
        options = try GlobalOptions(parsed)
        follow = parsed.flag("--follow")
        if let text = parsed.value("--since") {
            guard let cursor = EventCursor(text: text) else {
                throw UsageError("--since takes a cursor <epoch>.<seq> as printed by berth events, got \(String(reflecting: text))")
            }
            since = cursor
        }
        ids = parsed.values("--id")
        if let text = parsed.value("--heartbeat") {
            guard let seconds = Double(text), seconds >= 0.1, seconds <= 3600 else {
                throw UsageError("--heartbeat must be between 0.1 and 3600 seconds, got \(String(reflecting: text))")
            }
            heartbeat = seconds
        }
    }

    public func validate() throws(UsageError) {
        try options.validate()
        if since != nil && options.nodes.count > 1 {
            throw UsageError("--since names a position in one node's history: give one --node")
        }
    }

    /// One event as a node sent it.
    struct Line: Sendable {
        var node: NodeAddress
        var event: EventNotification
        /// The node as the user named it (alias or address as typed), for text lines.
        var name: String? = nil
    }

    public func run(_ context: CommandContext) async -> ExitCode {
        let nodes: [(address: NodeAddress, options: ConnectOptions)]
        var names: [NodeAddress: String] = [:]
        do {
            var directory = NodeDirectory(environment: context.environment)
            // Each node with its own options: an alias's secret-file wins over --secret-file.
            var found: [(address: NodeAddress, options: ConnectOptions)] = []
            var read: [String?: ConnectOptions] = [:]
            for target in try options.targets(environment: context.environment, directory: &directory) {
                found.append((target.address, try options.connectOptions(for: target, memo: &read)))
                names[target.address] = target.name
            }
            nodes = found
        } catch let error as UsageError {
            context.output.printError("berth: \(error.message)")
            return .usage
        } catch let error as CommandFailure {
            context.output.printError("berth: \(error.message)")
            return error.code
        } catch {
            context.output.printError("berth: \(error)")
            return .failure
        }
        let addresses = nodes.map(\.address)
        let named = names
        let params = EventsSubscribeParams(cursor: since, ids: ids.isEmpty ? nil : ids, heartbeatSeconds: heartbeat)
        let follow = follow
        let timeout = options.timeout
        let (lines, sink) = AsyncStream.makeStream(of: Line.self)
        // A follower runs until interrupted; otherwise each node has the usual deadline.
        let deadline: Duration = follow ? .seconds(100 * 365 * 86_400) : timeout + .seconds(1)
        let json = options.json
        return await withTaskGroup(of: [NodeOutcome<Void>]?.self) { group in
            group.addTask {
                defer { sink.finish() }
                return await FanOut.run(nodes, timeout: deadline) { client in
                    try await EventsCommand.stream(client, params: params, follow: follow, timeout: timeout) {
                        sink.yield(Line(node: client.address, event: $0, name: named[client.address]))
                    }
                }
            }
            group.addTask {
                var collected: [Line] = []
                for await line in lines {
                    if follow { EventsCommand.print(line, json: json, context.output) } else { collected.append(line) }
                }
                // Merged in time order; a node's own events keep their seq order on equal times.
                collected.sort { ($0.event.time ?? 0, $0.node.description, $0.event.cursor.seq)
                    < ($1.event.time ?? 0, $1.node.description, $1.event.cursor.seq) }
                for line in collected { EventsCommand.print(line, json: json, context.output) }
                return nil
            }
            var codes: [ExitCode] = []
            for await outcomes in group {
                for outcome in outcomes ?? [] {
                    guard case .failure(let error) = outcome.result else { codes.append(.success); continue }
                    codes.append(CommandContext.exitCode(for: error))
                    let message = CommandContext.describe(error)
                    let prefix = addresses.count > 1 && !message.contains(outcome.address.description) ? "\(outcome.address): " : ""
                    context.output.printError("berth: " + prefix + message)
                }
            }
            return CommandContext.worst(codes)
        }
    }

    /// Subscribes and hands over events until the snapshot (or the replay) is complete, or, when
    /// following, until the node ends the stream.
    static func stream(_ client: NodeClient, params: EventsSubscribeParams, follow: Bool, timeout: Duration,
                       _ emit: @Sendable (EventNotification) -> Void) async throws {
        let notifications = client.notifications
        let subscribed: EventsSubscribeResult = try await client.call(MethodName.eventsSubscribe.rawValue, params: params, timeout: timeout)
        if !follow, let since = params.cursor, since.seq >= subscribed.cursor.seq { return }
        for await notification in notifications where notification.method == MethodName.eventsEvent.rawValue {
            guard let value = notification.params?["event"],
                  let event = try? JSONValueDecoder().decode(EventNotification.self, from: value),
                  event.subscription == subscribed.subscription else { continue }
            switch event.type {
            case "snapshot", "change":
                emit(event)
                if !follow, params.cursor != nil, event.cursor.seq >= subscribed.cursor.seq { return }
            case "synced":
                if !follow { return }
            case "closed":
                throw ClientError(.closed, "\(client.address) ended the event stream: \(event.reason ?? "no reason given")")
            default:
                continue  // heartbeats, and types a newer node may add
            }
        }
        throw ClientError(.closed, "\(client.address) closed the connection")
    }

    static func print(_ line: Line, json: Bool, _ output: CommandOutput) {
        if json {
            guard case .object(var members)? = try? JSONValueEncoder().encode(line.event) else { return }
            members["node"] = .string(line.node.description)
            output.print(JSONValue.object(members).description)
            return
        }
        let event = line.event
        let what = event.type == "snapshot" ? "(\(event.event ?? "?"))" : (event.event ?? "?")
        let state = event.subState.map { "\(event.state ?? "?") (\($0))" } ?? (event.state ?? "?")
        output.print([EventsCommand.timeText(event.time ?? 0), line.name ?? line.node.description, event.id ?? "-", what, state,
                      event.cursor.text].joined(separator: "  "))
    }

    /// `2026-11-29T10:30:01.123Z` from milliseconds since 1970 UTC.
    static func timeText(_ milliseconds: Int64) -> String {
        LogTime(nanoseconds: milliseconds * 1_000_000).rfc3339(fractionDigits: 3)
    }
}
