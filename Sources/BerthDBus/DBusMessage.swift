/// One D-Bus message: a header (type, flags, serial, header fields) and a body of values.
///
/// Decoding keeps the order the sender wrote the header fields in, so a decoded message encodes back
/// to the same bytes; messages built here use the field codes' numeric order.
public struct DBusMessage: Hashable, Sendable {
    /// The four message types; anything else on the wire is a protocol error.
    public enum MessageType: UInt8, Hashable, Sendable {
        case methodCall = 1
        case methodReturn = 2
        case error = 3
        case signal = 4
    }

    /// Header flags.
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let noReplyExpected = Flags(rawValue: 0x1)
        public static let noAutoStart = Flags(rawValue: 0x2)
        public static let allowInteractiveAuthorization = Flags(rawValue: 0x4)
    }

    /// The header field codes of the specification.
    enum Field: UInt8, CaseIterable {
        case path = 1, interface, member, errorName, replySerial, destination, sender, signature, unixFDs
    }

    /// The longest message the specification allows (2^27 bytes).
    public static let maximumLength = 1 << 27

    public var type: MessageType
    public var flags: Flags
    /// Set by the connection when it sends the message; never 0 on the wire.
    public var serial: UInt32
    public var path: String?
    public var interface: String?
    public var member: String?
    public var errorName: String?
    public var replySerial: UInt32?
    public var destination: String?
    public var sender: String?
    /// The number of descriptors passed out of band (field UNIX_FDS), if the sender said.
    public var unixFDs: UInt32?
    public var body: [DBusValue]
    /// The order header fields appear in on the wire (as decoded); fields missing here follow in
    /// numeric order.
    var fieldOrder: [UInt8] = []

    public init(type: MessageType, flags: Flags = [], serial: UInt32 = 0, path: String? = nil,
                interface: String? = nil, member: String? = nil, errorName: String? = nil,
                replySerial: UInt32? = nil, destination: String? = nil, sender: String? = nil,
                body: [DBusValue] = []) {
        self.type = type
        self.flags = flags
        self.serial = serial
        self.path = path
        self.interface = interface
        self.member = member
        self.errorName = errorName
        self.replySerial = replySerial
        self.destination = destination
        self.sender = sender
        self.body = body
    }

    /// A method call; `destination` is only meaningful on a bus (peer-to-peer has none).
    public static func methodCall(path: String, interface: String?, member: String,
                                  destination: String? = nil, body: [DBusValue] = []) -> DBusMessage {
        DBusMessage(type: .methodCall, path: path, interface: interface, member: member,
                    destination: destination, body: body)
    }

    /// A signal emitted from `path`.
    public static func signal(path: String, interface: String, member: String, body: [DBusValue] = []) -> DBusMessage {
        DBusMessage(type: .signal, path: path, interface: interface, member: member, body: body)
    }

    /// The signature of the body (the SIGNATURE header field).
    public var signature: String { body.map(\.type.signature).joined() }

    /// Equal when every header value and the body are; the wire order of header fields is not part
    /// of a message's meaning.
    public static func == (a: DBusMessage, b: DBusMessage) -> Bool {
        a.type == b.type && a.flags == b.flags && a.serial == b.serial && a.path == b.path && a.interface == b.interface
            && a.member == b.member && a.errorName == b.errorName && a.replySerial == b.replySerial
            && a.destination == b.destination && a.sender == b.sender && a.unixFDs == b.unixFDs && a.body == b.body
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(serial)
        hasher.combine(member)
        hasher.combine(body)
    }

    /// The error this message carries, if it is an ERROR: its name and first string argument.
    public var error: DBusError? {
        guard type == .error else { return nil }
        let text: String
        if case .string(let s)? = body.first { text = s } else { text = "" }
        return DBusError(name: errorName ?? "", message: text)
    }
}
