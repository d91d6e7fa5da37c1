import BerthCore

/// The environment files: variables the rules allow, rendered in the stored format (the runtime's
/// `--env-file`), parse back to exactly themselves; and whatever the user-file parser (systemd's
/// syntax) accepts renders to a stored file that parses back to the same variables.
///
/// Input: parsed as a file as it is; and cut at NUL bytes into values (of variables V0, V1, ...) to render.
enum EnvironmentFileChecks {
    static func check(_ input: [UInt8]) throws(PropertyViolation) {
        if let parsed = try? EnvironmentFile.parse(bytes: input) {
            try roundTrip(parsed, what: "the variables parsed from \(PropertyViolation.show(input))")
        }

        var environment = Environment()
        for (i, piece) in input.split(separator: 0, omittingEmptySubsequences: false).prefix(64).enumerated() {
            let variable = EnvironmentVariable(name: "V\(i)", value: String(decoding: piece, as: UTF8.self))
            guard (try? variable.validate()) != nil else { continue }
            guard (try? environment.set(variable)) != nil else { break }
        }
        try roundTrip(environment, what: "variables made from \(PropertyViolation.show(input))")
    }

    static func roundTrip(_ environment: Environment, what: String) throws(PropertyViolation) {
        let text = RuntimeEnvironmentFile.render(environment)
        let back: Environment
        do {
            back = try RuntimeEnvironmentFile.parse(bytes: Array(text.utf8))
        } catch {
            throw PropertyViolation("\(what) rendered to \(PropertyViolation.show(Array(text.utf8))), which does not parse: \(error)")
        }
        // Compare bytes, not Strings: String's == treats canonically equivalent text as equal, and
        // a value must reach the container byte-exact.
        let want = environment.variables.map { [Array($0.name.utf8), Array($0.value.utf8)] }
        let got = back.variables.map { [Array($0.name.utf8), Array($0.value.utf8)] }
        guard got == want else {
            throw PropertyViolation("\(what) rendered to \(PropertyViolation.show(Array(text.utf8))), which parses to other variables")
        }
    }
}
