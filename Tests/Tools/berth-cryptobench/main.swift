// Times the primitives of BerthProtocol's Crypto/ in this process, for Scripts/bench/crypto (which
// builds it in release mode and sets the numbers beside OpenSSL's). Prints one line per measurement:
//   aead <seal|open|sealopen> <message bytes> <MB/s>
//   x25519 <publickey|shared> <operations per second>
//   hkdf <output bytes> <operations per second>
// Rates are per second of this thread's CPU time, as `openssl speed` counts them (user CPU time), so
// other load on the machine shows in neither. Each measurement repeats the operation for SECONDS
// (the first argument, default 0.5) of CPU; the checksum line keeps the optimizer from dropping
// results nobody reads. A bench tool, not product code: it reads the thread's clock through Glibc.
import BerthProtocol
import Glibc

let seconds = Double(CommandLine.arguments.dropFirst().first ?? "") ?? 0.5
var checksum: UInt8 = 0

func threadCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Runs `body` in growing batches until `seconds` of CPU have passed; returns runs per CPU second.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = threadCPUSeconds()
    var iterations = 0
    var batch = 1
    while true {
        for _ in 0..<batch { try body() }
        iterations += batch
        let elapsed = threadCPUSeconds() - start
        if elapsed >= seconds { return Double(iterations) / elapsed }
        batch = min(batch * 2, 4096)
    }
}

let key = (0..<32).map { UInt8($0) }
let nonce = [UInt8](repeating: 7, count: 12)
let aad = [UInt8](repeating: 1, count: 8)
for size in [64, 1024, 65536] {
    let message = [UInt8](repeating: 0x5A, count: size)
    let sealed = try ChaChaPoly.seal(key: key, nonce: nonce, aad: aad, plaintext: message)
    let sealRate = try measure { checksum ^= try ChaChaPoly.seal(key: key, nonce: nonce, aad: aad, plaintext: message)[0] } * Double(size) / 1e6
    let openRate = try measure { checksum ^= try ChaChaPoly.open(key: key, nonce: nonce, aad: aad, sealed: sealed)[0] } * Double(size) / 1e6
    print("aead seal \(size) \(sealRate)")
    print("aead open \(size) \(openRate)")
    // One message sealed and opened: its bytes over the time of both.
    print("aead sealopen \(size) \(1 / (1 / sealRate + 1 / openRate))")
}

let privateKey = X25519.newPrivateKey()
let peerPublic = try X25519.publicKey(privateKey: X25519.newPrivateKey())
print("x25519 publickey \(try measure { checksum ^= try X25519.publicKey(privateKey: privateKey)[0] })")
print("x25519 shared \(try measure { checksum ^= try X25519.sharedSecret(privateKey: privateKey, peerPublicKey: peerPublic)[0] })")
print("hkdf 64 \(try measure { checksum ^= try HKDF.sha256(ikm: key, salt: nonce, info: aad, length: 64)[0] })")
print("checksum \(checksum)")
