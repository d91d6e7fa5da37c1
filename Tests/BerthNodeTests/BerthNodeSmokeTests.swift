import Testing
@testable import BerthNode

@Test func moduleLinks() { #expect(Bool(true)) }
