import BerthFuzzChecks
import BerthSystem
import Testing

/// Every fuzz target's property over its seed corpus (Tests/Fuzz/corpus/TARGET) and over every input
/// a fuzzer once broke it with (Tests/Fuzz/crashes/TARGET): a bug `Scripts/fuzz` found stays fixed
/// in the ordinary test run, without a fuzzer. The crash inputs of bugs fixed at their root also have
/// tests of their own, beside the code they broke, that say what was wrong.
@Suite struct FuzzCorpusTests {
    static let fuzzDirectory: String = {
        var path = #filePath
        for _ in 0..<2 { path = FileSystem.directoryName(of: path) }
        return path + "/Fuzz"
    }()

    static func inputs(_ target: FuzzTarget, in folder: String) throws -> [(String, [UInt8])] {
        let directory = "\(fuzzDirectory)/\(folder)/\(target.rawValue)"
        guard FileSystem.exists(directory) else { return [] }
        return try FileSystem.list(directory).sorted().map { ($0, try FileSystem.read("\(directory)/\($0)")) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedCorpusKeepsTheProperty(_ target: FuzzTarget) throws {
        let seeds = try Self.inputs(target, in: "corpus")
        #expect(!seeds.isEmpty, "no seed corpus for \(target.rawValue)")
        for (name, input) in seeds {
            #expect(throws: Never.self, "corpus/\(target.rawValue)/\(name)") { try target.check(input) }
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func savedCrashesStayFixed(_ target: FuzzTarget) throws {
        for (name, input) in try Self.inputs(target, in: "crashes") {
            #expect(throws: Never.self, "crashes/\(target.rawValue)/\(name)") { try target.check(input) }
        }
    }

    /// The checks themselves must be able to fail, or a green fuzz run means nothing: a framer
    /// model that disagreed with the framer on a plain stream, say, would throw here.
    @Test func checksAcceptPlainInputs() throws {
        try FuzzTarget.json.check(Array(#"{"a":[1,2.5,"x\n",null,true]}"#.utf8))
        try FuzzTarget.framer.check([5] + Array("ab\r\ncd\nlonger line\n".utf8))
        try FuzzTarget.envfile.check(Array("A=1\nB=\"two words\"\n".utf8))
        try FuzzTarget.unit.check(Array("50% of $HOME \"quoted\"\t;".utf8))
    }
}
