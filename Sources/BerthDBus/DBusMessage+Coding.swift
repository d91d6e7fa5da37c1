extension DBusMessage {
    /// The message in the wire format (little-endian). Throws when a required header field for its
    /// type is missing, the serial is 0, a name is malformed or a limit is exceeded.
    public func encoded() throws -> [UInt8] {
        try validate()
        var bodyWriter = DBusWriter()
        try bodyWriter.write(body)
        let bodyBytes = bodyWriter.bytes

        var fields: [DBusValue] = []
        let order = fieldOrder + Field.allCases.map(\.rawValue).filter { !fieldOrder.contains($0) }
        for code in order {
            guard let field = Field(rawValue: code), let value = headerValue(field) else { continue }
            fields.append(.structure([.byte(code), .variant(value)]))
        }
        var header = DBusWriter()
        header.appendRaw([UInt8(ascii: "l"), type.rawValue, flags.rawValue, 1])
        header.append(UInt32(bodyBytes.count))
        header.append(serial)
        try header.write(.array(element: .structure([.byte, .variant]), fields))
        header.pad(to: 8)
        let total = header.bytes.count + bodyBytes.count
        guard total <= DBusMessage.maximumLength else {
            throw DBusProtocolError("message is \(total) bytes, over the limit of \(DBusMessage.maximumLength)")
        }
        return header.bytes + bodyBytes
    }

    private func headerValue(_ field: Field) -> DBusValue? {
        switch field {
        case .path: path.map { .objectPath($0) }
        case .interface: interface.map { .string($0) }
        case .member: member.map { .string($0) }
        case .errorName: errorName.map { .string($0) }
        case .replySerial: replySerial.map { .uint32($0) }
        case .destination: destination.map { .string($0) }
        case .sender: sender.map { .string($0) }
        case .signature: body.isEmpty ? nil : .signature(signature)
        case .unixFDs: unixFDs.map { .uint32($0) }
        }
    }

    /// Checks the header the specification requires for this message type.
    func validate() throws {
        func require(_ value: Any?, _ name: String) throws {
            if value == nil { throw DBusProtocolError("\(type) message without the required \(name) header field") }
        }
        guard serial != 0 else { throw DBusProtocolError("message serial must not be 0") }
        switch type {
        case .methodCall:
            try require(path, "PATH")
            try require(member, "MEMBER")
        case .signal:
            try require(path, "PATH")
            try require(interface, "INTERFACE")
            try require(member, "MEMBER")
        case .error:
            try require(errorName, "ERROR_NAME")
            try require(replySerial, "REPLY_SERIAL")
        case .methodReturn:
            try require(replySerial, "REPLY_SERIAL")
        }
        if let path { try DBusNames.checkObjectPath(path) }
        if let interface { try DBusNames.checkInterface(interface) }
        if let member { try DBusNames.checkMember(member) }
        if let errorName { try DBusNames.checkInterface(errorName, what: "error name") }
        if replySerial == 0 { throw DBusProtocolError("REPLY_SERIAL must not be 0") }
    }

    /// Decodes exactly one whole message (as `DBusFramer` delivers them), in either byte order.
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count >= 16 else { throw DBusProtocolError("message of \(bytes.count) bytes is shorter than a header") }
        let bigEndian: Bool
        switch bytes[0] {
        case UInt8(ascii: "l"): bigEndian = false
        case UInt8(ascii: "B"): bigEndian = true
        default: throw DBusProtocolError("unknown byte order mark \(bytes[0])")
        }
        guard let type = MessageType(rawValue: bytes[1]) else { throw DBusProtocolError("unknown message type \(bytes[1])") }
        guard bytes[3] == 1 else { throw DBusProtocolError("unsupported protocol version \(bytes[3])") }
        var reader = DBusReader(bytes, from: 4, bigEndian: bigEndian)
        let bodyLength = Int(try reader.readInteger(UInt32.self))
        self.init(type: type, flags: Flags(rawValue: bytes[2]), serial: try reader.readInteger(UInt32.self))
        let fields = try reader.read(.array(.structure([.byte, .variant])), depth: 0)
        var bodySignature = ""
        for entry in fields.arrayValue ?? [] {
            guard case .structure(let pair) = entry, case .byte(let code) = pair[0],
                  case .variant(let value) = pair[1] else { continue }
            guard let field = Field(rawValue: code) else { continue }  // unknown fields are ignored, as specified
            if fieldOrder.contains(code) { throw DBusProtocolError("header field \(code) appears twice") }
            fieldOrder.append(code)
            func expect(_ wanted: DBusType) throws {
                guard value.type == wanted else {
                    throw DBusProtocolError("header field \(field) has type '\(value.type)', expected '\(wanted)'")
                }
            }
            switch field {
            case .path: try expect(.objectPath); path = value.stringValue
            case .interface: try expect(.string); interface = value.stringValue
            case .member: try expect(.string); member = value.stringValue
            case .errorName: try expect(.string); errorName = value.stringValue
            case .replySerial: try expect(.uint32); if case .uint32(let v) = value { replySerial = v }
            case .destination: try expect(.string); destination = value.stringValue
            case .sender: try expect(.string); sender = value.stringValue
            case .signature: try expect(.signature); bodySignature = value.stringValue ?? ""
            case .unixFDs: try expect(.uint32); if case .uint32(let v) = value { unixFDs = v }
            }
        }
        try reader.align(8)
        let bodyStart = reader.offset
        guard bytes.count - bodyStart == bodyLength else {
            throw DBusProtocolError("body is \(bytes.count - bodyStart) bytes, header says \(bodyLength)")
        }
        var bodyReader = DBusReader(bytes, from: bodyStart, base: bodyStart, bigEndian: bigEndian)
        body = try bodyReader.readValues(try DBusType.parse(bodySignature))
        guard bodyReader.isAtEnd else {
            throw DBusProtocolError("\(bytes.count - bodyReader.offset) bytes left after a body of signature '\(bodySignature)'")
        }
        try validate()
    }
}
