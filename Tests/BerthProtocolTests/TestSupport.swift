import BerthProtocol

/// A seeded generator so "random" tests are reproducible (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// Parses JSON test text, failing loudly.
func json(_ s: String) throws -> JSONValue { try JSONParser.parse(s) }

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The repository root, found from this file's path (Tests/BerthProtocolTests/TestSupport.swift).
let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

func readRepoFile(_ relativePath: String) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/" + relativePath))
    return String(decoding: data, as: UTF8.self)
}

func listRepoDirectory(_ relativePath: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/" + relativePath).sorted()
}
