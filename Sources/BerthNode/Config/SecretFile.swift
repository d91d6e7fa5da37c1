#if canImport(Glibc)
import Glibc
#endif
import BerthProtocol
import BerthSystem

/// Reads the TCP shared secret, refusing a file others can read (the secret would be no secret).
public enum SecretFile {
    public static func load(_ path: String) throws(ConfigurationError) -> AuthSecret {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ConfigurationError("--secret-file \(path): \(Errno.current)")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw ConfigurationError("--secret-file \(path): not a regular file") }
        guard info.st_mode & 0o007 == 0 else {
            throw ConfigurationError("--secret-file \(path) is readable by other users (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 or 640 it")
        }
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(path, limit: 64 << 10) } catch { throw ConfigurationError("--secret-file \(path): \(error)") }
        do {
            return try AuthSecret(fileContents: bytes)
        } catch {
            throw ConfigurationError("--secret-file \(path): \(error.message)")
        }
    }
}
