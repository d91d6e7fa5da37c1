#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

/// Tells systemd how a `Type=notify` service is doing, over the datagram socket in `NOTIFY_SOCKET`
/// (a path, or an abstract name written with a leading `@`).
public struct SystemdNotifier: Hashable, Sendable {
    public let address: SocketAddress

    public init(address: SocketAddress) { self.address = address }

    /// The notifier `NOTIFY_SOCKET` names, or nil when it is unset (not started by systemd, or not
    /// `Type=notify`). Throws when it names something other than a Unix socket.
    public static func fromEnvironment() throws -> SystemdNotifier? {
        guard let raw = getenv("NOTIFY_SOCKET") else { return nil }
        return try SystemdNotifier(notifySocket: String(cString: raw))
    }

    /// Parses a `NOTIFY_SOCKET` value.
    public init(notifySocket value: String) throws {
        guard value.hasPrefix("/") || value.hasPrefix("@") else {
            throw SocketError(.invalidAddress, "NOTIFY_SOCKET=\(value) is not a Unix socket path or @abstract name")
        }
        address = try SocketAddress(parsing: value)
    }

    /// READY=1: start-up finished (with an optional STATUS line).
    public func ready(status: String? = nil) throws {
        try send(["READY=1"] + (status.map { ["STATUS=\(Self.oneLine($0))"] } ?? []))
    }

    /// STOPPING=1: shutdown began.
    public func stopping() throws { try send(["STOPPING=1"]) }

    /// STATUS=...: a line `systemctl status` shows.
    public func status(_ text: String) throws { try send(["STATUS=\(Self.oneLine(text))"]) }

    /// WATCHDOG=1: the keep-alive for `WatchdogSec=`.
    public func watchdog() throws { try send(["WATCHDOG=1"]) }

    /// Sends `VARIABLE=value` assignments as one datagram. The corresponding C function is `sendto`.
    public func send(_ assignments: [String]) throws {
        for line in assignments where !line.contains("=") || line.contains("\n") {
            throw SocketError(.invalidAddress, "not a single-line VARIABLE=value notification: \(line.debugDescription)")
        }
        let fd = berth_socket(AF_UNIX, BERTH_SOCK_DGRAM, 0, 1)
        guard fd >= 0 else { throw SystemError("socket") }
        defer { Glibc.close(fd) }
        let message = Array(assignments.joined(separator: "\n").utf8)
        try address.withSockAddr { addr, length in
            let sent = message.withUnsafeBytes { raw in
                retryingOnInterrupt { sendto(fd, raw.baseAddress, raw.count, BERTH_MSG_NOSIGNAL, addr, length) }
            }
            guard sent == message.count else { throw SystemError("sendto", path: address.description) }
        }
    }

    /// A status is one line: a newline would let the text smuggle in other assignments.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
