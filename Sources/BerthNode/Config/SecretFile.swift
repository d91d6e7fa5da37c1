import BerthProtocol
import BerthSystem

/// Reads the TCP secrets (one secret, or several named ones with roles: `AuthKeyring`), refusing a
/// file others can read (the secrets would be no secrets).
public enum SecretFile {
    public static func load(_ path: String) throws(ConfigurationError) -> AuthKeyring {
        let info: FileInfo
        do { info = try FileSystem.info(path) } catch let error as SystemError {
            throw ConfigurationError("--secret-file \(path): \(error.errno)")
        } catch {
            throw ConfigurationError("--secret-file \(path): \(error)")
        }
        guard info.kind == .regular else { throw ConfigurationError("--secret-file \(path): not a regular file") }
        guard info.permissions & 0o007 == 0 else {
            throw ConfigurationError("--secret-file \(path) is readable by other users (mode \(String(info.permissions & 0o777, radix: 8))); chmod 600 or 640 it")
        }
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(path, limit: 64 << 10) } catch { throw ConfigurationError("--secret-file \(path): \(error)") }
        do {
            return try AuthKeyring(fileContents: bytes)
        } catch {
            throw ConfigurationError("--secret-file \(path): \(error.message)")
        }
    }
}
