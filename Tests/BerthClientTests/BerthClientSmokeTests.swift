import Testing
@testable import BerthClient

@Test func moduleLinks() { #expect(Bool(true)) }
