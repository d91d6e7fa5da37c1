import BerthDBus

/// The D-Bus unmarshaller: a message it decodes encodes (little-endian, as Berth sends) and decodes
/// back to an equal message, and the stream framer cuts the same messages, and fails at the same
/// point, whether the bytes come at once or in random chunks.
///
/// Input: the bytes of a stream of messages (the seeds are messages captured from a real systemd).
enum DBusChecks {
    struct Outcome: Equatable {
        var frames: [[UInt8]] = []
        var failed = false
    }

    static func check(_ input: [UInt8]) throws(PropertyViolation) {
        if let message = try? DBusMessage(decoding: input) { try roundTrip(message, from: input) }

        let whole = frames([input])
        var random = FuzzRandom(seed: input)
        let chunked = frames(random.chunks(of: input, largest: 48))
        guard whole == chunked else {
            throw PropertyViolation("D-Bus framer: \(whole.frames.count) frames (failed: \(whole.failed)) at once, \(chunked.frames.count) (failed: \(chunked.failed)) in chunks")
        }
        for frame in whole.frames {
            if let message = try? DBusMessage(decoding: frame) { try roundTrip(message, from: frame) }
        }
    }

    static func roundTrip(_ message: DBusMessage, from bytes: [UInt8]) throws(PropertyViolation) {
        let encoded: [UInt8]
        do {
            encoded = try message.encoded()
        } catch {
            throw PropertyViolation("a decoded D-Bus message does not encode: \(error); input \(bytes.count) bytes")
        }
        let again: DBusMessage
        do {
            again = try DBusMessage(decoding: encoded)
        } catch {
            throw PropertyViolation("a re-encoded D-Bus message does not decode: \(error)")
        }
        guard again == message else {
            throw PropertyViolation("a D-Bus message changed through encode and decode: \(message) became \(again)")
        }
    }

    static func frames(_ chunks: [[UInt8]]) -> Outcome {
        var framer = DBusFramer(maximumLength: 1 << 20)
        var outcome = Outcome()
        for chunk in chunks {
            framer.append(chunk)
            do {
                while let frame = try framer.nextFrame() { outcome.frames.append(frame) }
            } catch {
                outcome.failed = true
                return outcome
            }
        }
        return outcome
    }
}
