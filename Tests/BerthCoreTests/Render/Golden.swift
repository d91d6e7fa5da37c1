import Foundation
import Testing

/// Golden files under Tests/BerthCoreTests/Golden, compared byte for byte.
/// `BERTH_UPDATE_GOLDEN=1 swift test --filter Render` rewrites them from the current output.
enum Golden {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Golden")

    static var updating: Bool { ProcessInfo.processInfo.environment["BERTH_UPDATE_GOLDEN"] == "1" }

    static func check(_ text: String, _ relativePath: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(relativePath)
        if updating {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            return
        }
        let expected = try #require(FileManager.default.contents(atPath: url.path),
                                    "missing golden file \(relativePath); run with BERTH_UPDATE_GOLDEN=1", sourceLocation: sourceLocation)
        #expect(Array(text.utf8) == Array(expected), "\(relativePath) differs from its golden file", sourceLocation: sourceLocation)
        if Array(text.utf8) != Array(expected) {
            print("--- rendered \(relativePath) ---\n\(text)")
        }
    }
}
