/// A `SplitMix64` seeded from the input itself, so the chunkings and choices a check makes depend
/// only on the input, and a saved input replays exactly.
struct FuzzRandom {
    private var generator: SplitMix64

    init(seed input: [UInt8]) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the input
        for b in input { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        generator = SplitMix64(seed: h)
    }

    mutating func next() -> UInt64 { generator.next() }

    /// A number in 1...upTo.
    mutating func size(upTo: Int) -> Int { Int(next() % UInt64(max(upTo, 1))) + 1 }

    /// `bytes` cut into pieces of random sizes (at most `largest` each), in order.
    mutating func chunks(of bytes: [UInt8], largest: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + size(upTo: largest))
            out.append(Array(bytes[start..<end]))
            start = end
        }
        return out
    }
}
