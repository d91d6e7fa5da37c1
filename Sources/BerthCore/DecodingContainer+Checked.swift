/// Decoding applies the same rule as the checked initializer or `validate()`, so a hostile document
/// can never produce a value its rule forbids. These run that rule on what was just decoded and turn
/// a refusal into the decoder's `dataCorrupted` error, carrying the refusal's own message.
extension SingleValueDecodingContainer {
    /// Decodes a `Raw` and makes the value from it with `make`, the type's checking initializer.
    func decode<Raw: Decodable, Value>(_ type: Raw.Type, checkedBy make: (Raw) throws -> Value) throws -> Value {
        let raw = try decode(type)
        do { return try make(raw) } catch {
            throw DecodingError.dataCorruptedError(in: self, debugDescription: "\(error)")
        }
    }
}

extension KeyedDecodingContainer {
    /// Runs `validate` on the value just decoded from this container; a refusal is reported at `key`.
    func check(at key: Key, _ validate: () throws -> Void) throws {
        do { try validate() } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(error)")
        }
    }
}
