import BerthSystem

/// The client side of the SASL handshake that opens every D-Bus connection, with the EXTERNAL
/// mechanism: the server reads our uid from the socket's credentials (SO_PEERCRED), so we only state
/// which uid we claim to be.
enum DBusAuthentication {
    /// The longest line we accept from the server before BEGIN.
    static let maximumLineLength = 16 * 1024

    /// The first bytes a client sends: the credentials NUL byte and `AUTH EXTERNAL <hex(uid)>`.
    static func authCommand(uid: UInt32) -> [UInt8] {
        let hex = Array(String(uid).utf8).map { byte -> String in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
        }.joined()
        return [0] + Array("AUTH EXTERNAL \(hex)\r\n".utf8)
    }

    /// Authenticates as `uid`, sending BEGIN together with AUTH as sd-bus does. Sending BEGIN only
    /// after OK lets BEGIN and our first message reach systemd in one read while it is busy; its
    /// sd-bus then holds that message unprocessed until more bytes arrive (seen with systemd 252: a
    /// first call answered only when the next one was sent). Pipelined, our first message always
    /// arrives after the server has finished the handshake.
    /// Returns the server's GUID and any bytes read past the OK line (there should be none).
    static func authenticate(_ connection: Connection, uid: UInt32 = Processes.currentUserID) async throws -> (guid: String, leftover: [UInt8]) {
        try await connection.write(authCommand(uid: uid) + Array("BEGIN\r\n".utf8))
        var buffer: [UInt8] = []
        while true {
            if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = String(decoding: buffer[..<end], as: UTF8.self)
                if line.hasSuffix("\r") { line.removeLast() }
                let leftover = Array(buffer[(end + 1)...])
                if line.hasPrefix("OK ") {
                    let guid = String(line.dropFirst(3))
                    guard guid.utf8.count == 32, guid.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                        throw DBusProtocolError("authentication: server GUID is not 32 hex digits: \(guid.debugDescription)")
                    }
                    return (guid, leftover)
                }
                if line.hasPrefix("REJECTED") {
                    throw DBusProtocolError("authentication: server rejected EXTERNAL for uid \(uid) (\(line))")
                }
                throw DBusProtocolError("authentication: unexpected server reply \(line.debugDescription)")
            }
            guard buffer.count < maximumLineLength else {
                throw DBusProtocolError("authentication: server line longer than \(maximumLineLength) bytes")
            }
            let chunk = try await connection.read(upTo: 4096)
            guard !chunk.isEmpty else { throw DBusProtocolError("authentication: server closed the connection") }
            buffer += chunk
        }
    }
}
