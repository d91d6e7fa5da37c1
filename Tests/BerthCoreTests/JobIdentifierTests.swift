import Foundation
import Testing
@testable import BerthCore

@Suite struct JobIdentifierTests {
    @Test func unitNamesUseUnpaddedBase64URL() throws {
        let job = try JobIdentifier(bytes: [0xFB, 0xFF, 0x01])
        #expect(job.description == "-_8B")
        #expect(job.unitName == "job--_8B.service")
        #expect(job.buildUnitName == "build--_8B.service")
        #expect(try JobIdentifier(bytes: [0x61]).description == "YQ")
        #expect(try JobIdentifier(bytes: [0x61, 0x62]).description == "YWI")
    }

    @Test func matchesFoundationBase64AndRoundTrips() throws {
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 1...40)).map { _ in UInt8.random(in: 0...255) }
            let job = try JobIdentifier(bytes: bytes)
            let foundation = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(job.description == foundation)
            #expect(try JobIdentifier(job.description) == job)
        }
    }

    @Test func randomIsSixteenBytesAndDistinct() {
        let a = JobIdentifier.random(), b = JobIdentifier.random()
        #expect(a.bytes.count == 16)
        #expect(a.description.utf8.count == 22)
        #expect(a != b)
    }

    @Test(arguments: ["", "a", "YQ==", "Y Q", "YR", "ab+c", "ab/c", "a$bc"])
    func refusesBadText(_ text: String) {
        #expect(throws: JobIdentifierError.self) { try JobIdentifier(text) }
    }

    @Test func codable() throws {
        let job = try JobIdentifier(bytes: [1, 2, 3])
        let data = try JSONEncoder().encode([job])
        #expect(String(decoding: data, as: UTF8.self) == #"["AQID"]"#)
        #expect(try JSONDecoder().decode([JobIdentifier].self, from: data) == [job])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([JobIdentifier].self, from: Data(#"["!!"]"#.utf8)) }
    }
}
