import Testing
@testable import BerthCore

@Suite struct SharedUnitsTests {
    @Test(arguments: [("system", "multi-user.target"), ("user", "default.target")])
    func goldenTargets(_ manager: String, _ wantedBy: String) throws {
        let targets = try SharedUnits.targets(wantedBy: wantedBy)
        #expect(targets.map(\.name) == ["berth.target", "berth-active.target", "berth-sockets.target"])
        for unit in targets {
            try Golden.check(unit.text, "shared-\(manager)/\(unit.name)")
            #expect(unit.text.contains("WantedBy=\(wantedBy)\n"))
        }
        #expect(targets[0].text.contains("Wants=berth-active.target berth-sockets.target"))
    }

    @Test func goldenSlices() throws {
        let slices = SharedUnits.slices()
        #expect(slices.map(\.name) == ["berth.slice", "berth-small.slice", "berth-large.slice"])
        for unit in slices {
            try Golden.check(unit.text, "shared-system/\(unit.name)")
            #expect(unit.text.contains("CPUAccounting=yes\nMemoryAccounting=yes\n"))
        }
        #expect(slices[1].text.contains("MemoryMax=512M\n"))
        #expect(slices[2].text.contains("MemoryMax=1G\n"))
        #expect(!slices[0].text.contains("MemoryMax"))
    }

    @Test func badWantedByIsRefused() {
        #expect(throws: RenderError.self) { try SharedUnits.targets(wantedBy: "multi-user.target\nExecStart=/bin/sh") }
        #expect(throws: RenderError.self) { try SharedUnits.targets(wantedBy: "multi-user") }
    }
}
