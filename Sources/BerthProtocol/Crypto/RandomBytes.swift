extension RandomNumberGenerator {
    /// `count` random bytes, eight from each `next()`: for the system generator one getrandom(2)
    /// per eight bytes, where `UInt8.random(in:using:)` makes one per byte (32 for a nonce).
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            let word = next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
