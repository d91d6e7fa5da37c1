import BerthProtocol

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
