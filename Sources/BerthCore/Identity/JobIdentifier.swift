import BerthProtocol

/// The identity of one request that runs as a transient unit (a one-off job or a build). Random bytes,
/// written as unpadded base64url, whose alphabet (`A-Z a-z 0-9 - _`) is valid in a systemd unit name.
public struct JobIdentifier: Hashable, Sendable, CustomStringConvertible {
    /// The raw identity: at least one byte.
    public let bytes: [UInt8]

    /// How many random bytes `random()` draws: 16 (128 bits), 22 base64url characters.
    public static let randomByteCount = 16

    /// The longest identity accepted, so unit names stay far below systemd's 255-byte limit.
    public static let maxByteCount = 64

    /// Wraps `bytes`; fails if there are none or more than `maxByteCount`.
    public init(bytes: [UInt8]) throws(JobIdentifierError) {
        guard !bytes.isEmpty else { throw JobIdentifierError(input: "", reason: "may not be empty") }
        guard bytes.count <= JobIdentifier.maxByteCount else {
            throw JobIdentifierError(input: "", reason: "longer than \(JobIdentifier.maxByteCount) bytes")
        }
        self.bytes = bytes
    }

    /// Parses the unpadded base64url text form (the inverse of `description`).
    public init(_ text: String) throws(JobIdentifierError) {
        guard let bytes = Base64URL.decode(text) else {
            throw JobIdentifierError(input: text, reason: "not unpadded base64url")
        }
        do { try self.init(bytes: bytes) } catch { throw JobIdentifierError(input: text, reason: error.reason) }
    }

    /// A fresh random identity from the system's secure generator.
    public static func random() -> JobIdentifier {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<randomByteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return try! JobIdentifier(bytes: bytes)  // 16 bytes always fit
    }

    /// The unpadded base64url text form.
    public var description: String { Base64URL.encode(bytes) }

    /// `job-<x>.service`: the transient unit of a one-off job.
    public var unitName: String { "job-\(description).service" }

    /// `build-<x>.service`: the transient unit of an image build.
    public var buildUnitName: String { "build-\(description).service" }
}

/// Why a string or byte sequence is not a job identifier.
public typealias JobIdentifierError = InvalidInput<JobIdentifier>

extension JobIdentifier: InvalidInputSubject {
    public static let inputNoun = "job identifier"
}

/// A job identifier travels as its base64url string.
extension JobIdentifier: Codable {
    public init(from decoder: any Decoder) throws {
        self = try decoder.singleValueContainer().decode(String.self) { try JobIdentifier($0) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
