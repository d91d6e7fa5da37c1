import Testing
@testable import BerthProtocol

@Test func moduleLinks() { #expect(Bool(true)) }
