import Testing
@testable import BerthCore

@Test func moduleLinks() { #expect(Bool(true)) }
