import Testing
@testable import BerthDBus
@testable import BerthSystemd

/// `SystemdSignal`, the one reading of the signals the node's mirrors follow: systemd's own captured
/// messages decode to what they mean, and lookalikes from elsewhere are not taken for them.
@Suite struct SystemdSignalTests {
    @Test func capturedSignalsDecode() throws {
        let job = try DBusMessage(decoding: try fixture("jobremoved-signal.bin"))
        guard case .jobRemoved(let removed)? = SystemdSignal(job) else { Issue.record("not a JobRemoved"); return }
        #expect(removed == SystemdJobRemoved(job))
        let change = try DBusMessage(decoding: try fixture("propertieschanged-signal.bin"))
        guard case .unitChanged(let unit)? = SystemdSignal(change) else { Issue.record("not a PropertiesChanged"); return }
        #expect(unit.unit == "berth-capture.service")
        #expect(unit.interface == SystemdInterface.unit)
        // A reply is not a signal.
        #expect(SystemdSignal(try DBusMessage(decoding: try fixture("listunits-reply.bin"))) == nil)
    }

    @Test func managerSignalsDecodeFromTheManagerOnly() {
        func signal(_ member: String, _ body: [DBusValue], path: String = SystemdPath.manager) -> SystemdSignal? {
            SystemdSignal(.signal(path: path, interface: SystemdInterface.manager, member: member, body: body))
        }
        guard case .reloading(true)? = signal("Reloading", [.boolean(true)]),
              case .reloading(false)? = signal("Reloading", [.boolean(false)]),
              case .unitNew("ctr-a.service")? = signal("UnitNew", [.string("ctr-a.service"), .objectPath(SystemdPath.unitPath("ctr-a.service"))]),
              case .unitRemoved("ctr-a.service")? = signal("UnitRemoved", [.string("ctr-a.service"), .objectPath(SystemdPath.unitPath("ctr-a.service"))])
        else { Issue.record("manager signals not decoded"); return }
        #expect(signal("Reloading", [.boolean(true)], path: "/elsewhere") == nil)
        #expect(signal("UnitRemoved", [.uint32(1)]) == nil)
        #expect(signal("Reloading", []) == nil)
        // PropertiesChanged of an object that is not a unit (the manager's own) is not a unit change.
        #expect(SystemdSignal(.signal(path: SystemdPath.manager, interface: SystemdInterface.properties, member: "PropertiesChanged",
                                      body: [.string(SystemdInterface.manager), .array(element: .dictEntry(key: .string, value: .variant), []),
                                             .array(element: .string, [])])) == nil)
    }
}
