import Testing
@testable import BerthSystem

@Test func moduleLinks() { #expect(Bool(true)) }
