import Testing
import BerthFuzzChecks

/// The one SplitMix64 every test target draws from: saved fuzz inputs and printed seeds replay only
/// while it yields exactly these numbers (the reference values of Vigna's splitmix64.c, seed 0).
@Test func splitMix64YieldsTheReferenceSequence() {
    var generator = SplitMix64(seed: 0)
    #expect((0..<3).map { _ in generator.next() } == [0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f])
}
