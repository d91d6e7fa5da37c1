import BerthCore
import Testing
@testable import BerthNode

/// The pure parts of the event hub: which unit belongs to which container, when a unit's state is a
/// container event, and the history a resuming subscriber is served from.
@Suite struct EventStateTests {
    let web = Identifier(rawValue: "web")!

    /// `ContainerStates` fed as the hub feeds it: a unit's new states go into a table (the cache's
    /// view in the node), then the change is announced.
    struct Feed {
        var states = ContainerStates()
        var units: [String: UnitState] = [:]

        mutating func apply(unit: String, active: String, sub: String) -> ContainerStates.Change? {
            units[unit] = UnitState(loadState: "loaded", activeState: active, subState: sub)
            let units = units
            return states.changed(unit: unit) { units[$0] }
        }

        mutating func install(_ id: Identifier) -> [ContainerStates.Change] {
            let units = units
            return states.install(id) { units[$0] }
        }

        mutating func delete(_ id: Identifier) -> ContainerStates.Change? {
            let units = units
            return states.delete(id) { units[$0] }
        }

        mutating func seed(_ ids: [Identifier]) {
            let units = units
            states.seed(ids) { units[$0] }
        }

        /// A snapshot: exactly these units are loaded.
        mutating func resync(_ listed: [(name: String, active: String, sub: String)], silent: Bool) -> [ContainerStates.Change] {
            units = Dictionary(uniqueKeysWithValues: listed.map { ($0.name, UnitState(loadState: "loaded", activeState: $0.active, subState: $0.sub)) })
            let units = units
            return states.resync(loaded: Array(units.keys), { units[$0] }, silent: silent)
        }

        func current(_ id: Identifier) -> ContainerStates.Phase? { states.current(id) }
    }

    @Test func classifiesOnlyContainerServicesAndSockets() {
        #expect(ContainerStates.classify("ctr-web.service")! == (web, false))
        #expect(ContainerStates.classify("ctr-web@8080.socket")! == (web, true))
        #expect(ContainerStates.classify("ctr-web@8080.service") == nil, "a proxy is not the container's state")
        #expect(ContainerStates.classify("web.service") == nil)
        #expect(ContainerStates.classify("ctr-web.target") == nil)
        #expect(ContainerStates.classify("ctr-.service") == nil, "no identifier")
    }

    @Test func startStopCrashEachReportedOnce() {
        var states = Feed()
        #expect(states.install(web).map(\.type) == [.installed])
        var types: [EventType] = []
        let script: [(String, String)] = [
            ("activating", "start"), ("active", "running"),                       // start
            ("deactivating", "stop"), ("deactivating", "stop-post"), ("inactive", "dead"),  // a clean stop
            ("inactive", "dead"),                                                 // a repeat: still stopped
            ("activating", "start"), ("active", "running"),
            ("deactivating", "stop-post"), ("failed", "failed"),                  // main process killed
            ("activating", "start"), ("active", "running"),
            ("activating", "auto-restart"),                                       // crash with Restart=
            ("active", "running"), ("active", "running"),                         // a repeat is no change
        ]
        for (active, sub) in script {
            if let change = states.apply(unit: "ctr-web.service", active: active, sub: sub) { types.append(change.type) }
        }
        #expect(types == [.started, .stopped, .started, .errored, .started, .errored, .started])
        #expect(states.delete(web)?.type == .deleted)
        #expect(states.apply(unit: "ctr-web.service", active: "inactive", sub: "dead") == nil, "deleted: no events")
    }

    @Test func aStopThatEndsFailedIsAnError() {
        // A clean stop ends inactive; a stop that ends failed (the runtime had to KILL: 137) is a
        // failure, as container.status reports it.
        var states = Feed()
        _ = states.install(web)
        var types: [EventType] = []
        for (active, sub) in [("active", "running"), ("deactivating", "stop"), ("deactivating", "stop-sigterm"),
                              ("deactivating", "stop-post"), ("failed", "failed")] {
            if let change = states.apply(unit: "ctr-web.service", active: active, sub: sub) { types.append(change.type) }
        }
        #expect(types == [.started, .errored])
    }

    @Test func socketActivatedContainerIdlesWhileItsSocketListens() {
        var states = Feed()
        _ = states.install(web)
        var types: [EventType?] = []
        types.append(states.apply(unit: "ctr-web@8080.socket", active: "active", sub: "listening")?.type)
        types.append(states.apply(unit: "ctr-web.service", active: "active", sub: "running")?.type)
        types.append(states.apply(unit: "ctr-web@8080.service", active: "inactive", sub: "dead")?.type)
        types.append(states.apply(unit: "ctr-web.service", active: "inactive", sub: "dead")?.type)
        types.append(states.apply(unit: "ctr-web@8080.socket", active: "inactive", sub: "dead")?.type)
        #expect(types == [.idled, .started, nil, .idled, .stopped])
    }

    @Test func unitsSeenBeforeTheInstallAreReportedWithIt() {
        var states = Feed()
        #expect(states.apply(unit: "ctr-web.service", active: "active", sub: "running") == nil, "not installed yet")
        #expect(states.install(web).map(\.type) == [.installed, .started])
    }

    @Test func resyncIsSilentFirstThenReportsWhatChanged() {
        var states = Feed()
        states.seed([web])
        #expect(states.resync([("ctr-web.service", "active", "running")], silent: true).isEmpty)
        #expect(states.current(web) == .started)
        #expect(states.resync([("ctr-web.service", "active", "running")], silent: false).isEmpty)
        #expect(states.resync([], silent: false).map(\.type) == [.stopped], "a unit missing from the listing is gone")
    }

    func event(_ seq: Int64) -> NodeEvent {
        NodeEvent(seq: seq, time: 0, id: web, type: .started, activeState: "active", subState: "running")
    }

    @Test func historyServesExactlyWhatFollowsACursorOrNothing() {
        var history = EventHistory(capacity: 4)
        #expect(history.events(after: 0) == [])
        for seq: Int64 in 1...6 { history.append(event(seq)) }
        #expect(history.events(after: 6) == [])
        #expect(history.events(after: 2)?.map(\.seq) == [3, 4, 5, 6])
        #expect(history.events(after: 4)?.map(\.seq) == [5, 6])
        #expect(history.events(after: 1) == nil, "event 2 fell out of the ring")
        #expect(history.events(after: 7) == nil, "a seq from the future is no cursor of ours")
        #expect(history.events(after: -1) == nil)
        for seq: Int64 in 7...13 { history.append(event(seq)) }
        #expect(history.events(after: 9)?.map(\.seq) == [10, 11, 12, 13])
    }
}
