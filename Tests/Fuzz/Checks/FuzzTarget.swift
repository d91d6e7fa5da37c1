/// The fuzz targets of `Scripts/fuzz`, each a property every input must keep. The same checks run in
/// the Swift tests over the seed corpus and over every input a fuzzer once broke them with
/// (Tests/Fuzz/corpus/TARGET, Tests/Fuzz/crashes/TARGET), so a fixed bug stays fixed without a fuzzer.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The JSON parser: what it accepts serializes to one line that parses back to the same value.
    case json
    /// The line framer: any chunking of a stream gives the lines (and the over-long line error) a
    /// plain model of the framing rules gives.
    case framer
    /// The D-Bus unmarshaller: a decoded message encodes and decodes back to itself, and the stream
    /// framer cuts the same messages whatever the chunking.
    case dbus
    /// The environment-file parser and writer: rendered variables parse back byte-exact, and so does
    /// whatever the parser accepted.
    case envfile
    /// The unit-text escaper: what it emits reads back, through the model of systemd's reader, as the
    /// original value.
    case unit

    /// Throws the first property `input` breaks.
    public func check(_ input: [UInt8]) throws(PropertyViolation) {
        switch self {
        case .json: try JSONChecks.check(input)
        case .framer: try FramerChecks.check(input)
        case .dbus: try DBusChecks.check(input)
        case .envfile: try EnvironmentFileChecks.check(input)
        case .unit: try UnitChecks.check(input)
        }
    }
}
