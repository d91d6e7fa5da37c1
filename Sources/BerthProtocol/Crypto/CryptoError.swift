/// Why a primitive of `Crypto/` refused: a sealed message that does not authenticate, an input of the
/// wrong length, a limit of the construction, a peer key that gives no secret. The code is what callers
/// switch on (a struct, so codes can be added); the message names the input for logs, never key bytes.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable { case authenticationFailed, invalidLength, limitExceeded, weakPeerKey }
        private let kind: Kind

        /// The tag does not match: the ciphertext, the associated data, the nonce or the key differ
        /// from the sender's. Nothing of the plaintext is returned.
        public static let authenticationFailed = Code(kind: .authenticationFailed)
        /// A key, nonce, tag or public key of the wrong size.
        public static let invalidLength = Code(kind: .invalidLength)
        /// More than the construction allows: HKDF output beyond 255 blocks, a message that would wrap
        /// ChaCha20's 32-bit block counter.
        public static let limitExceeded = Code(kind: .limitExceeded)
        /// An X25519 peer key of small order: the shared secret would be all zeros (RFC 7748 section 6.1).
        public static let weakPeerKey = Code(kind: .weakPeerKey)

        public var description: String {
            switch kind {
            case .authenticationFailed: "authenticationFailed"
            case .invalidLength: "invalidLength"
            case .limitExceeded: "limitExceeded"
            case .weakPeerKey: "weakPeerKey"
            }
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
